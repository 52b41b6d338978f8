package client

import (
	"context"
	"errors"
	"github.com/tokenward/tokenward/internal/testlog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/record"
	"github.com/tokenward/tokenward/tokensource"
)

func newUserTokens(conf *Config, store tokensource.Cache, opts *UserTokensOptions) *UserTokens {
	if opts == nil {
		opts = &UserTokensOptions{}
	}
	opts.Options.Logger = discard()
	return conf.UserTokens(store, opts)
}

func TestUserTokensTwoUsers(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	u := newUserTokens(conf, store, nil)
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		if err := u.Save(ctx, name, signIn(t, srv, conf, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"alice", "bob", "alice"} {
		got, err := whoAmI(ctx, srv, u.Client(name))
		if err != nil {
			t.Fatal(err)
		}
		if got != name {
			t.Errorf("Client(%q) called the API as %q; want %q", name, got, name)
		}
	}
	if u.Source("alice") == u.Source("bob") {
		t.Error("alice and bob share a source")
	}
	if a1, a2 := u.Source("alice"), u.Source("alice"); a1 != a2 {
		t.Error("Source(alice) returned two sources while resident")
	}
}

func TestUserTokensKey(t *testing.T) {
	_, conf := userServer(t)
	u := newUserTokens(conf, &faultyStore{}, nil)
	other := *conf
	other.ClientID = "other-client"
	for _, tc := range []struct {
		name      string
		a, b      string
		wantEqual bool
	}{
		{"same user", u.Key("alice"), newUserTokens(conf, &faultyStore{}, nil).Key("alice"), true},
		{"two users", u.Key("alice"), u.Key("bob"), false},
		{"two clients", u.Key("alice"), newUserTokens(&other, &faultyStore{}, nil).Key("alice"), false},
		{"no separator confusion", u.Key("ab"), u.Key("a\x00b"), false},
	} {
		if got := tc.a == tc.b; got != tc.wantEqual {
			t.Errorf("%s: keys %q and %q equal: got %v; want %v", tc.name, tc.a, tc.b, got, tc.wantEqual)
		}
	}
	if k := u.Key("alice"); strings.Contains(k, "alice") || strings.Contains(k, "webapp") {
		t.Errorf("key %q holds the user or client ID", k)
	}
}

func TestUserTokensNoStoredToken(t *testing.T) {
	srv, conf := userServer(t)
	u := newUserTokens(conf, &faultyStore{}, nil)
	_, err := u.Source("nobody@example.com").Token()
	if !errors.Is(err, ErrNoUserToken) {
		t.Fatalf("got %v; want ErrNoUserToken", err)
	}
	var ue *UserTokenError
	if !errors.As(err, &ue) || ue.UserID != "nobody@example.com" {
		t.Fatalf("got %#v; want a *UserTokenError for nobody@example.com", err)
	}
	if strings.Contains(err.Error(), "nobody") {
		t.Errorf("error %q holds the user ID", err)
	}
	// Through a Client, the same error.
	_, err = whoAmI(context.Background(), srv, u.Client("nobody@example.com"))
	if !errors.Is(err, ErrNoUserToken) {
		t.Fatalf("Client: got %v; want ErrNoUserToken", err)
	}
}

func TestUserTokensEmptyUserID(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	u := newUserTokens(conf, store, nil)
	ctx := context.Background()
	if err := u.Save(ctx, "", signIn(t, srv, conf, "alice")); err == nil {
		t.Error("Save with an empty user ID: got nil error")
	}
	if err := u.Delete(ctx, ""); err == nil {
		t.Error("Delete with an empty user ID: got nil error")
	}
	if _, err := u.Source("").Token(); err == nil {
		t.Error("Source(\"\"): got a token")
	}
	if got := store.loads.Load() + store.saves.Load(); got != 0 {
		t.Errorf("store calls for an empty user ID: got %d; want 0", got)
	}
}

func TestUserTokensRefreshOnRefresh(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	type call struct {
		user string
		tok  *oauth2.Token
	}
	var mu sync.Mutex
	var calls []call
	u := newUserTokens(conf, store, &UserTokensOptions{OnRefresh: func(_ context.Context, userID string, tok *oauth2.Token) {
		mu.Lock()
		calls = append(calls, call{userID, tok})
		mu.Unlock()
	}})
	ctx := context.Background()
	tok := signIn(t, srv, conf, "alice")
	tok.Expiry = time.Now().Add(-time.Minute) // due for renewal
	if err := u.Save(ctx, "alice", tok); err != nil {
		t.Fatal(err)
	}
	if got, err := whoAmI(ctx, srv, u.Client("alice")); err != nil || got != "alice" {
		t.Fatalf("got %q, %v; want alice", got, err)
	}
	if n := srv.GrantRequests("refresh_token"); n != 1 {
		t.Errorf("refreshes: got %d; want 1", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 || calls[0].user != "alice" || calls[0].tok.RefreshToken == tok.RefreshToken {
		t.Fatalf("OnRefresh calls: got %d (%+v); want one for alice with a rotated refresh token", len(calls), calls)
	}
	data, _ := store.mem.Load(ctx, u.Key("alice"))
	stored, err := record.Decode(data)
	if err != nil || stored.Token.RefreshToken != calls[0].tok.RefreshToken {
		t.Errorf("store holds %v (%v); want the rotated refresh token", stored.Token != nil, err)
	}
}

func TestUserTokensEvictionReloads(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	u := newUserTokens(conf, store, &UserTokensOptions{MaxResident: 2})
	ctx := context.Background()
	for _, name := range []string{"alice", "bob", "carol"} {
		if err := u.Save(ctx, name, signIn(t, srv, conf, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"alice", "bob", "carol"} {
		if got, err := whoAmI(ctx, srv, u.Client(name)); err != nil || got != name {
			t.Fatalf("%s: got %q, %v", name, got, err)
		}
	}
	if got := u.Resident(); got != 2 {
		t.Errorf("Resident: got %d; want 2", got)
	}
	loads := store.loads.Load()
	for range 100 {
		if got, err := whoAmI(ctx, srv, u.Client("bob")); err != nil || got != "bob" {
			t.Fatalf("bob: got %q, %v", got, err)
		}
	}
	if got := store.loads.Load() - loads; got != 0 {
		t.Errorf("store loads for 100 warm calls: got %d; want 0", got)
	}
	// alice was evicted (least recently used): she reloads from the store.
	if got, err := whoAmI(ctx, srv, u.Client("alice")); err != nil || got != "alice" {
		t.Fatalf("alice after eviction: got %q, %v", got, err)
	}
	if got := store.loads.Load() - loads; got != 1 {
		t.Errorf("store loads for an evicted user: got %d; want 1", got)
	}
	if n := srv.GrantRequests("refresh_token"); n != 0 {
		t.Errorf("refreshes: got %d; want 0 (the stored tokens are valid)", n)
	}
}

func TestUserTokensConcurrent(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	u := newUserTokens(conf, store, &UserTokensOptions{MaxResident: 2})
	ctx := context.Background()
	names := []string{"alice", "bob", "carol"}
	for _, name := range names {
		if err := u.Save(ctx, name, signIn(t, srv, conf, name)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			name := names[i%len(names)]
			for range 20 {
				tok, err := u.Source(name).TokenContext(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := whoAmI(ctx, srv, tokensource.NewClient(staticToken{tok})); err == nil && got != name {
					t.Errorf("%s got %s's token", name, got)
				}
			}
		})
	}
	wg.Wait()
	if got := u.Resident(); got > 2 {
		t.Errorf("Resident: got %d; want at most 2", got)
	}
}

func TestUserTokensDelete(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	u := newUserTokens(conf, store, nil)
	ctx := context.Background()
	tok := signIn(t, srv, conf, "alice")
	if err := u.Save(ctx, "alice", tok); err != nil {
		t.Fatal(err)
	}
	c := u.Client("alice") // kept across the sign-out
	if _, err := whoAmI(ctx, srv, c); err != nil {
		t.Fatal(err)
	}
	if err := u.Delete(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if store.stored(t, u.Key("alice")) {
		t.Error("the token is still stored after Delete")
	}
	if _, err := conf.Refresh(ctx, tok.RefreshToken); !isInvalidGrantErr(err) {
		t.Errorf("refreshing the deleted user's refresh token: got %v; want invalid_grant (revoked)", err)
	}
	if _, err := whoAmI(ctx, srv, c); !errors.Is(err, ErrNoUserToken) {
		t.Errorf("a kept Client after Delete: got %v; want ErrNoUserToken", err)
	}
	if _, err := u.Source("alice").Token(); !errors.Is(err, ErrNoUserToken) {
		t.Errorf("Source after Delete: got %v; want ErrNoUserToken", err)
	}
	// Signing in again works.
	if err := u.Save(ctx, "alice", signIn(t, srv, conf, "alice")); err != nil {
		t.Fatal(err)
	}
	if got, err := whoAmI(ctx, srv, c); err != nil || got != "alice" {
		t.Errorf("after signing in again: got %q, %v; want alice", got, err)
	}
}

func isInvalidGrantErr(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// A failed revocation still signs the user out locally, and says so.
func TestUserTokensDeleteRevocationFails(t *testing.T) {
	srv, conf := userServer(t)
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"unsupported_token_type"}`))
	}))
	t.Cleanup(refuse.Close)
	conf.RevocationURL = refuse.URL
	store := &faultyStore{}
	u := newUserTokens(conf, store, nil)
	ctx := context.Background()
	tok := signIn(t, srv, conf, "alice")
	if err := u.Save(ctx, "alice", tok); err != nil {
		t.Fatal(err)
	}
	err := u.Delete(ctx, "alice")
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "unsupported_token_type" {
		t.Fatalf("Delete: got %v; want the revocation's *oauth2.RetrieveError", err)
	}
	testlog.NoSecrets(t, "the Delete error", err.Error(), tok.AccessToken, tok.RefreshToken)
	if store.stored(t, u.Key("alice")) {
		t.Error("the token is still stored after a Delete whose revocation failed")
	}
	if _, err := u.Source("alice").Token(); !errors.Is(err, ErrNoUserToken) {
		t.Errorf("Source after Delete: got %v; want ErrNoUserToken", err)
	}
}

// A store error on Delete keeps the user stored and is returned.
func TestUserTokensDeleteStoreFails(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	u := newUserTokens(conf, store, nil)
	ctx := context.Background()
	if err := u.Save(ctx, "alice", signIn(t, srv, conf, "alice")); err != nil {
		t.Fatal(err)
	}
	store.down.Store(true)
	if err := u.Delete(ctx, "alice"); !errors.Is(err, errStoreDown) {
		t.Fatalf("Delete with the store down: got %v; want the store's error", err)
	}
	store.down.Store(false)
	if err := u.Delete(ctx, "alice"); err != nil {
		t.Fatalf("Delete again: %v", err)
	}
	if store.stored(t, u.Key("alice")) {
		t.Error("still stored")
	}
}

// staticToken is a Source that always returns its token.
type staticToken struct{ tok *oauth2.Token }

func (s staticToken) TokenContext(context.Context) (*oauth2.Token, error) { return s.tok, nil }

// countingObserver counts the cache loads it sees.
type countingObserver struct{ loads atomic.Int32 }

func (o *countingObserver) Refreshed(context.Context, tokensource.RefreshEvent) {}
func (o *countingObserver) CacheUsed(_ context.Context, op tokensource.CacheOp, _ tokensource.CacheResult) {
	if op == tokensource.CacheLoad {
		o.loads.Add(1)
	}
}
func (o *countingObserver) LockWaited(context.Context, time.Duration, bool) {}

// Every user's source gets UserTokensOptions.Options (here its Observer),
// with the store and the user's key in place of Cache and CacheKey.
func TestUserTokensSharedOptions(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	obs := &countingObserver{}
	u := newUserTokens(conf, store, &UserTokensOptions{Options: tokensource.Options{
		Observer: obs, CacheKey: "ignored", Cache: &faultyStore{},
	}})
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		if err := u.Save(ctx, name, signIn(t, srv, conf, name)); err != nil {
			t.Fatal(err)
		}
		if got, err := whoAmI(ctx, srv, u.Client(name)); err != nil || got != name {
			t.Fatalf("%s: got %q, %v", name, got, err)
		}
		if got, want := u.Source(name).Key(), u.Key(name); got != want {
			t.Errorf("%s's source key: got %q; want %q", name, got, want)
		}
	}
	if got := obs.loads.Load(); got != 2 {
		t.Errorf("loads the shared Observer saw: got %d; want 2 (one per user)", got)
	}
	if got := store.loads.Load(); got != 2 {
		t.Errorf("loads on the UserTokens store: got %d; want 2", got)
	}
}

// A Client kept across its user's eviction keeps working: each request
// takes the user's current source.
func TestUserTokensClientAcrossEviction(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	u := newUserTokens(conf, store, &UserTokensOptions{MaxResident: 1})
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		if err := u.Save(ctx, name, signIn(t, srv, conf, name)); err != nil {
			t.Fatal(err)
		}
	}
	alice := u.Client("alice")
	for range 3 {
		if got, err := whoAmI(ctx, srv, alice); err != nil || got != "alice" {
			t.Fatalf("kept client: got %q, %v; want alice", got, err)
		}
		if got, err := whoAmI(ctx, srv, u.Client("bob")); err != nil || got != "bob" { // evicts alice
			t.Fatalf("bob: got %q, %v", got, err)
		}
	}
	if got := store.loads.Load(); got != 6 {
		t.Errorf("store loads: got %d; want 6 (each user reloaded after each eviction)", got)
	}
}
