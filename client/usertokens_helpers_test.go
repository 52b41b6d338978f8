package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/oauth2test"
)

// testUsers are the users the user-token tests sign in.
var testUsers = map[string]string{"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}

// userServer is an oauth2test server that issues rotating refresh tokens
// to testUsers, and a Config for it with revocation.
func userServer(t *testing.T) (*oauth2test.Server, *Config) {
	t.Helper()
	srv := oauth2test.NewServer(t, &oauth2test.Options{
		Users:   testUsers,
		Clients: []oauth2test.Client{{ID: "webapp", Secret: "webapp-secret", IssueRefreshToken: true, RotateRefreshTokens: true}},
	})
	conf := &Config{
		ClientID: "webapp", ClientSecret: "webapp-secret",
		Endpoint:      srv.Endpoint(),
		RedirectURL:   "http://127.0.0.1/callback",
		RevocationURL: srv.RevocationURL(),
	}
	return srv, conf
}

// signIn runs the authorization code flow with PKCE for username.
func signIn(t *testing.T, srv *oauth2test.Server, conf *Config, username string) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	loc, err := srv.Authorize(conf.AuthCodeURL("state-1", S256Challenge(verifier)), username, testUsers[username])
	if err != nil {
		t.Fatal(err)
	}
	code, err := ParseCallback(loc.String(), "state-1")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := conf.Exchange(context.Background(), code, Verifier(verifier))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// whoAmI calls the server's resource with c and returns the subject it
// answers for.
func whoAmI(ctx context.Context, srv *oauth2test.Server, c *http.Client) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.ResourceURL(), nil)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return "", errors.New(resp.Status + ": " + string(body))
	}
	var v struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", err
	}
	return v.Sub, nil
}

// faultyStore is a cache.Memory that counts its calls and can be taken
// down, and whose Save can be held at a gate. It is not a Locker (see
// lockingStore).
type faultyStore struct {
	mem                 cache.Memory
	down                atomic.Bool
	failLoads           atomic.Bool // Loads fail; the other calls work
	loads, saves, dels  atomic.Int64
	saveEntered, saveGo chan struct{} // when set, Save signals, then waits
}

var errStoreDown = errors.New("store down")

func (s *faultyStore) Load(ctx context.Context, key string) ([]byte, error) {
	s.loads.Add(1)
	if s.down.Load() || s.failLoads.Load() {
		return nil, errStoreDown
	}
	return s.mem.Load(ctx, key)
}

func (s *faultyStore) Save(ctx context.Context, key string, data []byte, exp time.Time) error {
	s.saves.Add(1)
	if s.down.Load() {
		return errStoreDown
	}
	if s.saveEntered != nil {
		s.saveEntered <- struct{}{}
		<-s.saveGo
	}
	return s.mem.Save(ctx, key, data, exp)
}

func (s *faultyStore) Delete(ctx context.Context, key string) error {
	s.dels.Add(1)
	if s.down.Load() {
		return errStoreDown
	}
	return s.mem.Delete(ctx, key)
}

// stored reports whether the store holds an entry under key.
func (s *faultyStore) stored(t *testing.T, key string) bool {
	t.Helper()
	data, err := s.mem.Load(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return data != nil
}

// lockingStore is a faultyStore that is a Locker, as cache.Memory is.
type lockingStore struct{ *faultyStore }

func (s lockingStore) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if s.down.Load() {
		return nil, errStoreDown
	}
	return s.mem.Lock(ctx, key, ttl)
}
