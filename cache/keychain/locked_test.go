package keychain

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/tokensource"
)

// countingSource issues a new token on every call.
type countingSource struct{ n int }

func (s *countingSource) TokenContext(context.Context) (*oauth2.Token, error) {
	s.n++
	return &oauth2.Token{AccessToken: "at-" + strings.Repeat("x", s.n), RefreshToken: "rt-secret-value", Expiry: time.Now().Add(time.Hour)}, nil
}

// TestKeychainLockedMidRun locks the keychain while a source uses it:
// requests keep working from the in-process token and the source, with a
// warning, and nothing panics.
func TestKeychainLockedMidRun(t *testing.T) {
	e := newFakeEnv(t, nil)
	var logs bytes.Buffer
	src := &countingSource{}
	c := tokensource.New(src, &tokensource.Options{Cache: e.store, CacheKey: "cli-profile", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	first, err := c.TokenContext(bg)
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := e.store.Load(bg, "cli-profile"); data == nil {
		t.Fatal("the token was not saved to the keychain")
	}

	// The user locks the keychain (go-keyring's error for a locked collection).
	e.kr.(*fakeBackend).setFail(func(op, service, user string) error {
		return errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")
	})
	for range 50 {
		if tok, err := c.TokenContext(bg); err != nil || tok != first {
			t.Fatalf("while locked: %v, %v; want the in-process token", tok, err)
		}
	}
	c.Invalidate(first) // a renewal is due while the keychain is locked
	second, err := c.TokenContext(bg)
	if err != nil || second == first {
		t.Fatalf("renewal while locked: %v, %v; want a new token from the source", second, err)
	}
	out := logs.String()
	for _, want := range []string{"cache load failed", "cache save failed", "collection is locked"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "rt-secret-value") || strings.Contains(out, second.AccessToken) {
		t.Error("a token leaked into the logs")
	}
}
