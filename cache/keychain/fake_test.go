package keychain

// Unit tests. They use fakeBackend, injected into Store.kr, and never
// keyring.MockInit: that replaces go-keyring's provider for the whole
// process, and TestSecretServiceConformance in this test binary needs
// the real one. Only the Example calls MockInit, and examples run after
// all tests.

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenward/tokenward/tokensource"
	"github.com/zalando/go-keyring"
)

// fakeBackend is an in-memory keychain. fail, when set, is consulted
// before every call; maxLen mimics Windows' 2560-byte item limit.
type fakeBackend struct {
	mu     sync.Mutex
	items  map[string]string // service + "\x00" + user
	maxLen int
	fail   func(op, service, user string) error
	calls  int
}

func newFake() *fakeBackend { return &fakeBackend{items: map[string]string{}} }

func (f *fakeBackend) check(op, service, user string) error {
	f.calls++
	if f.fail != nil {
		return f.fail(op, service, user)
	}
	return nil
}

func (f *fakeBackend) Get(service, user string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("get", service, user); err != nil {
		return "", err
	}
	v, ok := f.items[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeBackend) Set(service, user, pw string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("set", service, user); err != nil {
		return err
	}
	if f.maxLen > 0 && len(pw) > f.maxLen {
		return keyring.ErrSetDataTooBig
	}
	f.items[service+"\x00"+user] = pw
	return nil
}

func (f *fakeBackend) Delete(service, user string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("delete", service, user); err != nil {
		return err
	}
	k := service + "\x00" + user
	if _, ok := f.items[k]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.items, k)
	return nil
}

// users lists the accounts stored under service.
func (f *fakeBackend) users(service string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.items {
		if s, u, _ := strings.Cut(k, "\x00"); s == service {
			out = append(out, u)
		}
	}
	return out
}

func (f *fakeBackend) setFail(fn func(op, service, user string) error) {
	f.mu.Lock()
	f.fail = fn
	f.mu.Unlock()
}

// env is what the shared chunking tests work on: a Store and direct
// access to the keychain under it (fake or real).
type env struct {
	store *Store
	kr    backend
	// accounts lists the store's items (nil when the backend cannot
	// list them, as the real one through go-keyring cannot).
	accounts func() []string
}

func newFakeEnv(t *testing.T, opts *Options) env {
	t.Helper()
	f := newFake()
	s := NewWithOptions("tokenward-unit", opts)
	s.kr = f
	return env{store: s, kr: f, accounts: func() []string { return f.users("tokenward-unit") }}
}

var bg = context.Background()

func mustSave(t *testing.T, c tokensource.Cache, key string, data []byte, expiry time.Time) {
	t.Helper()
	if err := c.Save(bg, key, data, expiry); err != nil {
		t.Fatalf("Save(%q): %v", key, err)
	}
}

func mustLoad(t *testing.T, c tokensource.Cache, key string) []byte {
	t.Helper()
	got, err := c.Load(bg, key)
	if err != nil {
		t.Fatalf("Load(%q): %v", key, err)
	}
	return got
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}
