package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/tokensource"
)

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A user deleted while a refresh is in flight stays deleted: the refresh
// saves nothing and OnRefresh is not called, with and without revocation.
func TestUserTokensDeleteDuringRefresh(t *testing.T) {
	for _, tc := range []struct {
		name            string
		revoke, locking bool
	}{
		{"with revocation", true, false},
		{"without revocation", false, false},
		{"locker, with revocation", true, true},
		{"locker, without revocation", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, conf := userServer(t)
			if !tc.revoke {
				conf.RevocationURL = ""
			}
			store := &faultyStore{}
			var cache tokensource.Cache = store
			if tc.locking {
				cache = lockingStore{store}
			}
			var onRefresh atomic.Int32
			u := newUserTokens(conf, cache, &UserTokensOptions{OnRefresh: func(context.Context, string, *oauth2.Token) { onRefresh.Add(1) }})
			ctx := context.Background()
			tok := signIn(t, srv, conf, "alice")
			tok.Expiry = time.Now().Add(-time.Minute) // due for renewal
			if err := u.Save(ctx, "alice", tok); err != nil {
				t.Fatal(err)
			}
			srv.SetLatency(300 * time.Millisecond) // a slow token endpoint
			done := make(chan error, 1)
			go func() {
				_, err := whoAmI(ctx, srv, u.Client("alice"))
				done <- err
			}()
			waitFor(t, 5*time.Second, "the refresh to reach the server", func() bool { return srv.GrantRequests("refresh_token") == 1 })
			if err := u.Delete(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			err := <-done
			if !tc.locking && !errors.Is(err, ErrNoUserToken) {
				// With a Locker, Delete waits for the refresh, whose
				// request may succeed just before the sign-out.
				t.Errorf("the request whose refresh raced Delete: got %v; want ErrNoUserToken", err)
			}
			srv.SetLatency(0)
			if store.stored(t, u.Key("alice")) {
				t.Error("the deleted user's token was saved again by the refresh in flight")
			}
			if n := onRefresh.Load(); !tc.locking && n != 0 {
				t.Errorf("OnRefresh calls for the deleted user: got %d; want 0", n)
			}
			if _, err := u.Source("alice").Token(); !errors.Is(err, ErrNoUserToken) {
				t.Errorf("Source after Delete: got %v; want ErrNoUserToken", err)
			}
		})
	}
}

// A store Save that is under way when Delete runs is not left behind:
// Delete waits for it (the user's turn) and then deletes.
func TestUserTokensDeleteRacesSave(t *testing.T) {
	srv, conf := userServer(t)
	conf.RevocationURL = ""
	store := &faultyStore{}
	u := newUserTokens(conf, store, nil)
	ctx := context.Background()
	tok := signIn(t, srv, conf, "alice")
	tok.Expiry = time.Now().Add(-time.Minute)
	if err := u.Save(ctx, "alice", tok); err != nil {
		t.Fatal(err)
	}
	store.saveEntered, store.saveGo = make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := u.Source("alice").TokenContext(ctx)
		done <- err
	}()
	<-store.saveEntered // the refresh is writing its new token
	deleted := make(chan error, 1)
	go func() { deleted <- u.Delete(ctx, "alice") }()
	select {
	case err := <-deleted:
		t.Fatalf("Delete returned (%v) while a save for the user was under way", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(store.saveGo)
	<-done
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	if store.stored(t, u.Key("alice")) {
		t.Error("a save under way when Delete ran left the deleted user's token stored")
	}
}

// A user deleted by another process (the store entry gone) is not renewed
// from the token this process holds in memory.
func TestUserTokensDeletedElsewhere(t *testing.T) {
	srv, conf := userServer(t)
	conf.RevocationURL = ""
	store := &faultyStore{}
	u := newUserTokens(conf, store, nil)
	ctx := context.Background()
	tok := signIn(t, srv, conf, "alice")
	tok.Expiry = time.Now().Add(-time.Minute)
	if err := u.Save(ctx, "alice", tok); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Source("alice").Token(); err != nil { // renews and holds the new token
		t.Fatal(err)
	}
	other := newUserTokens(conf, store, nil) // another process on the same store
	if err := other.Delete(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	u.Source("alice").Invalidate(nil) // the held token must be renewed now
	refreshes := srv.GrantRequests("refresh_token")
	if _, err := u.Source("alice").Token(); !errors.Is(err, ErrNoUserToken) {
		t.Errorf("renewing a user deleted elsewhere: got %v; want ErrNoUserToken", err)
	}
	if n := srv.GrantRequests("refresh_token") - refreshes; n != 0 {
		t.Errorf("refreshes for a user deleted elsewhere: got %d; want 0", n)
	}
	if store.stored(t, u.Key("alice")) {
		t.Error("the user deleted elsewhere is stored again")
	}
}

// With the store down, users whose source is in memory keep working;
// the others get an error that is not ErrNoUserToken (they need not sign
// in again) and names the store's; all recover when the store returns.
func TestUserTokensStoreDown(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	u := newUserTokens(conf, store, nil)
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		if err := u.Save(ctx, name, signIn(t, srv, conf, name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := whoAmI(ctx, srv, u.Client("alice")); err != nil {
		t.Fatal(err)
	}
	store.down.Store(true)
	if got, err := whoAmI(ctx, srv, u.Client("alice")); err != nil || got != "alice" {
		t.Errorf("resident user with the store down: got %q, %v; want alice", got, err)
	}
	_, err := whoAmI(ctx, srv, u.Client("bob"))
	var ue *UserTokenError
	if !errors.As(err, &ue) || !errors.Is(err, errStoreDown) || errors.Is(err, ErrNoUserToken) {
		t.Errorf("cold user with the store down: got %v; want a *UserTokenError with the store's error, not ErrNoUserToken", err)
	}
	store.down.Store(false)
	waitFor(t, 15*time.Second, "bob to recover after the store returned", func() bool {
		got, err := whoAmI(ctx, srv, u.Client("bob"))
		return err == nil && got == "bob"
	})
}

// A resident user whose token needs renewal while the store is down is
// renewed from memory and served; the store gets the token when it can.
func TestUserTokensRenewWithStoreDown(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	u := newUserTokens(conf, store, nil)
	ctx := context.Background()
	if err := u.Save(ctx, "alice", signIn(t, srv, conf, "alice")); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Source("alice").Token(); err != nil {
		t.Fatal(err)
	}
	store.down.Store(true)
	u.Source("alice").Invalidate(nil)
	if got, err := whoAmI(ctx, srv, u.Client("alice")); err != nil || got != "alice" {
		t.Errorf("renewal with the store down: got %q, %v; want alice", got, err)
	}
	if n := srv.GrantRequests("refresh_token"); n != 1 {
		t.Errorf("refreshes: got %d; want 1", n)
	}
}

// An evicted user's source, and the token it held, can be collected at
// once: the LRU bound bounds memory.
func TestUserTokensEvictedCollected(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	u := newUserTokens(conf, store, &UserTokensOptions{MaxResident: 1})
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		if err := u.Save(ctx, name, signIn(t, srv, conf, name)); err != nil {
			t.Fatal(err)
		}
	}
	src := u.Source("alice")
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	wsrc, wtok := weak.Make(src), weak.Make(tok)
	src, tok = nil, nil
	_, _ = src, tok
	if _, err := u.Source("bob").Token(); err != nil { // evicts alice
		t.Fatal(err)
	}
	for i := 0; i < 5 && (wsrc.Value() != nil || wtok.Value() != nil); i++ {
		runtime.GC()
	}
	if wsrc.Value() != nil {
		t.Error("the evicted user's source is still reachable")
	}
	if wtok.Value() != nil {
		t.Error("the evicted user's token is still reachable (a timer holding it?)")
	}
}

// heldResponse is a RoundTripper that holds the first token response
// with a refresh token until released, after the server has answered,
// and reports that refresh token.
type heldResponse struct {
	base    http.RoundTripper
	once    sync.Once
	entered chan string
	release chan struct{}
}

func (h *heldResponse) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.base.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/token") {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var v struct {
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(body, &v) == nil && v.RefreshToken != "" {
		h.once.Do(func() {
			h.entered <- v.RefreshToken
			<-h.release
		})
	}
	return resp, nil
}

// A refresh that the server answered just before Delete ran does not
// leave a usable grant behind: its new refresh token is revoked.
func TestUserTokensDeleteRevokesTokenInFlight(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	ctx := context.Background()
	tok := signIn(t, srv, conf, "alice")
	tok.Expiry = time.Now().Add(-time.Minute)
	held := &heldResponse{base: http.DefaultTransport, entered: make(chan string), release: make(chan struct{})}
	gated := *conf
	gated.HTTPClient = &http.Client{Transport: held}
	u := newUserTokens(&gated, store, nil)
	if err := u.Save(ctx, "alice", tok); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := u.Source("alice").TokenContext(ctx)
		done <- err
	}()
	newRT := <-held.entered     // the server has rotated the grant
	store.failLoads.Store(true) // Delete cannot read the old token to revoke it
	if err := u.Delete(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	close(held.release)
	if err := <-done; !errors.Is(err, ErrNoUserToken) {
		t.Errorf("the refresh that raced Delete: got %v; want ErrNoUserToken", err)
	}
	if _, err := conf.Refresh(ctx, newRT); !isInvalidGrantErr(err) {
		t.Errorf("the refresh token obtained for a deleted user: got %v; want invalid_grant (revoked)", err)
	}
	store.failLoads.Store(false)
	if store.stored(t, u.Key("alice")) {
		t.Error("the deleted user's token is stored")
	}
}

// A corrupt stored entry is a miss (tokensource logs it): the user must
// sign in again, and signing in replaces it.
func TestUserTokensCorruptEntry(t *testing.T) {
	srv, conf := userServer(t)
	store := &faultyStore{}
	u := newUserTokens(conf, store, nil)
	ctx := context.Background()
	if err := store.mem.Save(ctx, u.Key("alice"), []byte("\x00not a record{"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Source("alice").Token(); !errors.Is(err, ErrNoUserToken) {
		t.Fatalf("corrupt entry: got %v; want ErrNoUserToken", err)
	}
	if n := srv.TokenRequests(); n != 0 {
		t.Errorf("token requests for a corrupt entry: got %d; want 0", n)
	}
	if err := u.Save(ctx, "alice", signIn(t, srv, conf, "alice")); err != nil {
		t.Fatal(err)
	}
	if got, err := whoAmI(ctx, srv, u.Client("alice")); err != nil || got != "alice" {
		t.Errorf("after signing in again: got %q, %v; want alice", got, err)
	}
}
