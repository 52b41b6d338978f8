package cli

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/tokensource"
)

// testEnv is an App with a memory store in place of the OS keychain and a
// config file in a temporary directory.
type testEnv struct {
	t     *testing.T
	store *cache.Memory
	cfg   string
	open  func(url string) error // the browser; nil fails the test if called
	alt   tokensource.Cache      // the store in place of the memory one, when set
	roots *x509.CertPool         // App.RootCAs
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.json")
	t.Setenv(EnvConfig, cfg)
	t.Setenv("TOKENWARD_PROFILE", "")
	return &testEnv{t: t, store: &cache.Memory{}, cfg: cfg}
}

// run runs tokenward with args and stdin, and returns the exit code,
// stdout and stderr.
func (e *testEnv) run(stdin string, args ...string) (int, string, string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	var store tokensource.Cache = e.store
	if e.alt != nil {
		store = e.alt
	}
	app := &App{
		IO:      IO{In: strings.NewReader(stdin), Out: &out, Err: &errb},
		Store:   store,
		RootCAs: e.roots,
		OpenBrowser: func(u string) error {
			if e.open == nil {
				e.t.Errorf("unexpected browser open of %s", u)
				return nil
			}
			return e.open(u)
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := app.Run(ctx, args)
	return code, out.String(), errb.String()
}

// mustRun runs tokenward and fails the test unless it exits 0.
func (e *testEnv) mustRun(stdin string, args ...string) string {
	e.t.Helper()
	code, out, errs := e.run(stdin, args...)
	if code != 0 {
		e.t.Fatalf("tokenward %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// expireStored makes the stored token of profile look expired.
func (e *testEnv) expireStored(profile string) {
	e.t.Helper()
	ctx := e.t.Context()
	data, err := e.store.Load(ctx, tokenKey(profile))
	if err != nil || data == nil {
		e.t.Fatalf("no stored token for %s: %v", profile, err)
	}
	// Edit the record as JSON: it keeps its "saved" time, as records
	// written by tokensource do.
	var rec map[string]any
	if err := json.Unmarshal(data, &rec); err != nil {
		e.t.Fatal(err)
	}
	rec["expiry"] = time.Now().Add(-time.Minute)
	rec["saved"] = time.Now().Add(-time.Hour)
	if data, err = json.Marshal(rec); err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.Save(ctx, tokenKey(profile), data, time.Time{}); err != nil {
		e.t.Fatal(err)
	}
}

// syncWriter is a bytes.Buffer safe for one writer and concurrent readers.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
