package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/record"
	"github.com/tokenward/tokenward/tokensource"
)

// signInServer is a token endpoint whose refresh answers keep the grant's
// number: refreshing "g<k>.…" gives "g<k>.…" again, after up to maxDelay.
func signInServer(t *testing.T, maxDelay time.Duration) *Config {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		g, _, _ := strings.Cut(r.PostForm.Get("refresh_token"), ".")
		time.Sleep(rand.N(maxDelay))
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": fmt.Sprintf("%s.at+/%%3d%d", g, i), "token_type": "Bearer", "expires_in": 3600,
			"refresh_token": fmt.Sprintf("%s.rt+/%%3d%d", g, i),
		})
	}))
	t.Cleanup(srv.Close)
	return &Config{ClientID: "webapp", ClientSecret: "webapp-secret", Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/token"}}
}

// grantToken is sign-in number k's token, due for renewal.
func grantToken(k int) *oauth2.Token {
	return &oauth2.Token{
		AccessToken: fmt.Sprintf("g%d.at+/%%3d", k), RefreshToken: fmt.Sprintf("g%d.rt+/%%3d", k),
		TokenType: "Bearer", Expiry: time.Now().Add(-time.Minute),
	}
}

// storedGrant is the sign-in number of the token stored under key, or -1
// when none is.
func storedGrant(t *testing.T, store *faultyStore, key string) int {
	t.Helper()
	data, err := store.mem.Load(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if data == nil {
		return -1
	}
	rec, err := record.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	g, _, _ := strings.Cut(rec.Token.AccessToken, ".")
	k, err := strconv.Atoi(strings.TrimPrefix(g, "g"))
	if err != nil {
		t.Fatalf("stored token of no sign-in: %v", err)
	}
	return k
}

// Save and Delete of one user, run at the same time while the user's
// sources (resident, and evicted but held) keep renewing, leave the state
// of one of the operations that could have come last: the user deleted,
// or signed in with that round's token; never a token of an earlier
// sign-in, and never a lost sign-in that started after Delete returned.
func TestUserTokensSaveDeleteOrder(t *testing.T) {
	for _, locking := range []bool{false, true} {
		t.Run(fmt.Sprintf("locker=%v", locking), func(t *testing.T) {
			conf := signInServer(t, 3*time.Millisecond)
			store := &faultyStore{}
			var cache tokensource.Cache = store
			if locking {
				cache = lockingStore{store}
			}
			u := newUserTokens(conf, cache, &UserTokensOptions{MaxResident: 1})
			var seq atomic.Int64
			ctx := context.Background()
			key := u.Key("alice")
			const rounds = 60
			for k := 1; k <= rounds; k++ {
				stop := make(chan struct{})
				var readers sync.WaitGroup
				held := u.Source("alice") // kept across the round, evicted by bob
				for i := range 3 {
					readers.Add(1)
					go func() {
						defer readers.Done()
						for {
							select {
							case <-stop:
								return
							default:
							}
							src := held
							switch i {
							case 1:
								src = u.Source("alice")
							case 2:
								_, _ = u.Source("bob").TokenContext(ctx) // evicts alice
								continue
							}
							src.Invalidate(nil)
							_, _ = src.TokenContext(ctx)
						}
					}()
				}
				var saveStart, saveEnd, delStart, delEnd int64
				var ops sync.WaitGroup
				ops.Add(2)
				go func() {
					defer ops.Done()
					time.Sleep(rand.N(2 * time.Millisecond))
					saveStart = seq.Add(1)
					if err := u.Save(ctx, "alice", grantToken(k)); err != nil {
						t.Error(err)
					}
					saveEnd = seq.Add(1)
				}()
				go func() {
					defer ops.Done()
					time.Sleep(rand.N(2 * time.Millisecond))
					delStart = seq.Add(1)
					if err := u.Delete(ctx, "alice"); err != nil {
						t.Error(err)
					}
					delEnd = seq.Add(1)
				}()
				ops.Wait()
				time.Sleep(2 * time.Millisecond) // let the sources renew after both
				close(stop)
				readers.Wait()
				got := storedGrant(t, store, key)

				saveMayBeLast, delMayBeLast := !(delStart > saveEnd), !(saveStart > delEnd)

				switch {
				case got == k && saveMayBeLast, got == -1 && delMayBeLast:
				default:
					t.Fatalf("round %d: stored sign-in %d (-1: none); Save ran [%d,%d], Delete [%d,%d]", k, got, saveStart, saveEnd, delStart, delEnd)
				}
			}
		})
	}
}

// gatedStore is a faultyStore whose first Save after arm is held at a
// gate until released.
type gatedStore struct {
	*faultyStore
	armed            atomic.Bool
	once             sync.Once
	entered, release chan struct{}
}

func (s *gatedStore) Save(ctx context.Context, key string, data []byte, exp time.Time) error {
	if s.armed.Load() {
		s.once.Do(func() { close(s.entered); <-s.release })
	}
	return s.faultyStore.Save(ctx, key, data, exp)
}

// A source evicted from the resident set but still held by a caller,
// whose refresh (on a slow token endpoint) is writing its new token when
// Delete runs, leaves nothing stored once Delete returns: the write and
// Delete's removal take turns.
func TestUserTokensDeleteHeldEvictedSource(t *testing.T) {
	srv, conf := userServer(t)
	conf.RevocationURL = ""
	store := &gatedStore{faultyStore: &faultyStore{}, entered: make(chan struct{}), release: make(chan struct{})}
	u := newUserTokens(conf, store, &UserTokensOptions{MaxResident: 1})
	ctx := context.Background()
	tok := signIn(t, srv, conf, "alice")
	tok.Expiry = time.Now().Add(-time.Minute)
	for name, tk := range map[string]*oauth2.Token{"alice": tok, "bob": signIn(t, srv, conf, "bob")} {
		if err := u.Save(ctx, name, tk); err != nil {
			t.Fatal(err)
		}
	}
	held := u.Source("alice")
	if _, err := u.Source("bob").Token(); err != nil { // evicts alice
		t.Fatal(err)
	}
	srv.SetLatency(100 * time.Millisecond) // a slow token endpoint
	store.armed.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := held.TokenContext(ctx)
		done <- err
	}()
	<-store.entered // the held source checked the entry and is writing
	deleted := make(chan error, 1)
	go func() { deleted <- u.Delete(ctx, "alice") }()
	var err error
	returned := false
	select {
	case err = <-deleted:
		returned = true
	case <-time.After(50 * time.Millisecond):
	}
	close(store.release)
	<-done
	if !returned {
		err = <-deleted
	}
	if err != nil {
		t.Fatal(err)
	}
	if store.stored(t, u.Key("alice")) {
		t.Error("the evicted, held source's refresh saved after Delete returned")
	}
	if _, err := u.Source("alice").Token(); !errors.Is(err, ErrNoUserToken) {
		t.Errorf("Source after Delete: got %v; want ErrNoUserToken", err)
	}
}

// A sign-in saved while Delete's revocation is still under way (a slow
// revocation endpoint) is neither blocked by it nor undone by it: Delete
// removed the token before revoking, and the sign-in came after.
func TestUserTokensSaveDuringRevocation(t *testing.T) {
	srv, conf := userServer(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		once.Do(func() { close(entered) })
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	conf.RevocationURL = slow.URL
	store := &faultyStore{}
	u := newUserTokens(conf, store, nil)
	ctx := context.Background()
	if err := u.Save(ctx, "alice", signIn(t, srv, conf, "alice")); err != nil {
		t.Fatal(err)
	}
	deleted := make(chan error, 1)
	go func() { deleted <- u.Delete(ctx, "alice") }()
	<-entered // Delete is revoking
	next := signIn(t, srv, conf, "alice")
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := u.Save(sctx, "alice", next); err != nil {
		t.Fatalf("Save during Delete's revocation: %v", err)
	}
	close(release)
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	got, err := u.Source("alice").Token()
	if err != nil || got.AccessToken != next.AccessToken {
		t.Errorf("after a sign-in during Delete's revocation: got %v; want the new sign-in's token", err)
	}
}

// Each user's turn is forgotten once nobody holds or waits for it.
func TestUserTokensTurnsForgotten(t *testing.T) {
	var ts turns
	ctx := context.Background()
	release, err := ts.take(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := ts.take(cctx, "alice"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("taking a held turn until ctx ends: got %v; want DeadlineExceeded", err)
	}
	release()
	if n := len(ts.m); n != 0 {
		t.Errorf("turns kept after release: got %d; want 0", n)
	}
}

// An evicted, held source whose refresh on a slow token endpoint ends
// after Delete returned saves nothing and does not call OnRefresh.
func TestUserTokensDeleteHeldEvictedSourceOnRefresh(t *testing.T) {
	srv, conf := userServer(t)
	conf.RevocationURL = ""
	store := &faultyStore{}
	var onRefresh atomic.Int32
	u := newUserTokens(conf, store, &UserTokensOptions{MaxResident: 1, OnRefresh: func(_ context.Context, userID string, _ *oauth2.Token) {
		if userID == "alice" {
			onRefresh.Add(1)
		}
	}})
	ctx := context.Background()
	tok := signIn(t, srv, conf, "alice")
	tok.Expiry = time.Now().Add(-time.Minute)
	for name, tk := range map[string]*oauth2.Token{"alice": tok, "bob": signIn(t, srv, conf, "bob")} {
		if err := u.Save(ctx, name, tk); err != nil {
			t.Fatal(err)
		}
	}
	held := u.Source("alice")
	if _, err := u.Source("bob").Token(); err != nil { // evicts alice
		t.Fatal(err)
	}
	refreshes := srv.GrantRequests("refresh_token")
	srv.SetLatency(300 * time.Millisecond)
	done := make(chan error, 1)
	go func() {
		_, err := held.TokenContext(ctx)
		done <- err
	}()
	waitFor(t, 5*time.Second, "the refresh to reach the server", func() bool { return srv.GrantRequests("refresh_token") > refreshes })
	if err := u.Delete(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	<-done
	srv.SetLatency(0)
	if store.stored(t, u.Key("alice")) {
		t.Error("the held source's refresh saved after Delete returned")
	}
	if n := onRefresh.Load(); n != 0 {
		t.Errorf("OnRefresh calls for the deleted user: got %d; want 0", n)
	}
}
