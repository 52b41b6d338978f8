package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/tokensource"
)

var (
	_ oauth2.TokenSource           = (&Config{}).ClientCredentialsSource(nil)
	_ oauth2.TokenSource           = (&Config{}).PasswordSource("", "", nil)
	_ oauth2.TokenSource           = (&Config{}).TokenSource(nil, nil)
	_ tokensource.Renewer          = (*passwordSource)(nil)
	_ tokensource.Renewer          = (*refreshSource)(nil)
	_ tokensource.Source           = (*ccSource)(nil)
	_ interface{ String() string } = Config{}
)

// grantServer answers password and refresh grants, rotating refresh
// tokens, and refuses refresh tokens listed in dead.
func grantServer(t *testing.T) (*recorder, *sync.Map) {
	var dead sync.Map
	var mu sync.Mutex
	n := 0
	rec := newRecorder(t, func(_ int32, s *seen) (int, string) {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		switch s.params["grant_type"] {
		case "password":
			if s.params["password"] != "pw" {
				return 400, `{"error":"invalid_grant"}`
			}
		case "refresh_token":
			if _, bad := dead.Load(s.params["refresh_token"]); bad {
				return 400, `{"error":"invalid_grant"}`
			}
			dead.Store(s.params["refresh_token"], true) // rotation: one use each
		case "client_credentials":
			return 200, fmt.Sprintf(`{"access_token":"cc-%d","token_type":"Bearer","expires_in":3600}`, i)
		}
		return 200, fmt.Sprintf(`{"access_token":"at-%d","token_type":"bearer","expires_in":3600,"refresh_token":"rt-%d"}`, i, i)
	})
	return rec, &dead
}

func TestPasswordSource(t *testing.T) {
	rec, dead := grantServer(t)
	c := &Config{ClientID: "id", ClientSecret: "sec", BodyFormat: JSONBody, Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL}}
	src := c.PasswordSource("jsmith", "pw", &tokensource.Options{Logger: discard()})
	ctx := context.Background()

	t1, err := src.TokenContext(ctx)
	if err != nil || t1.AccessToken != "at-1" {
		t.Fatalf("first: got %v, %v; want at-1 by password", t1, err)
	}
	src.Invalidate(t1)
	t2, err := src.TokenContext(ctx)
	if err != nil || t2.AccessToken != "at-2" {
		t.Fatalf("second: got %v, %v; want at-2", t2, err)
	}
	if g := rec.last.Load().params["grant_type"]; g != "refresh_token" {
		t.Errorf("second grant = %s; want refresh_token", g)
	}
	// The refresh token is refused: back to the password grant.
	dead.Store(t2.RefreshToken, true)
	src.Invalidate(t2)
	t3, err := src.TokenContext(ctx)
	if err != nil || t3.AccessToken != "at-4" { // hit 3 was the refused refresh
		t.Fatalf("third: got %v, %v; want at-4", t3, err)
	}
	if g := rec.last.Load().params["grant_type"]; g != "password" {
		t.Errorf("third grant = %s; want password (after invalid_grant)", g)
	}
}

func TestTokenSourceRotates(t *testing.T) {
	rec, _ := grantServer(t)
	c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL}}
	var mu sync.Mutex
	var rotated []string
	seed := &oauth2.Token{AccessToken: "old", RefreshToken: "rt-0", Expiry: time.Now().Add(-time.Minute)}
	src := c.TokenSource(seed, &tokensource.Options{Logger: discard(), OnRefresh: func(_ context.Context, tok *oauth2.Token) {
		mu.Lock()
		rotated = append(rotated, tok.RefreshToken)
		mu.Unlock()
	}})
	ctx := context.Background()
	tok, err := src.TokenContext(ctx)
	if err != nil || tok.AccessToken != "at-1" || tok.RefreshToken != "rt-1" {
		t.Fatalf("got %v, %v; want at-1/rt-1 from the expired seed", tok, err)
	}
	src.Invalidate(tok)
	tok, err = src.TokenContext(ctx)
	if err != nil || tok.RefreshToken != "rt-2" {
		t.Fatalf("got %v, %v; want rt-2 (refreshed with the rotated rt-1)", tok, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(rotated, ","); got != "rt-1,rt-2" {
		t.Errorf("OnRefresh saw %s; want rt-1,rt-2", got)
	}
}

func TestTokenSourceValidSeedAndNoRefreshToken(t *testing.T) {
	rec, _ := grantServer(t)
	c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL}}
	seed := &oauth2.Token{AccessToken: "seed", Expiry: time.Now().Add(time.Hour)}
	src := c.TokenSource(seed, &tokensource.Options{Logger: discard()})
	tok, err := src.TokenContext(context.Background())
	if err != nil || tok.AccessToken != "seed" {
		t.Fatalf("got %v, %v; want the valid seed", tok, err)
	}
	if rec.hits.Load() != 0 {
		t.Errorf("hits = %d; want 0", rec.hits.Load())
	}
	src.Invalidate(tok)
	if _, err := src.TokenContext(context.Background()); !errors.Is(err, ErrNoRefreshToken) {
		t.Errorf("after Invalidate without a refresh token: got %v; want ErrNoRefreshToken", err)
	}
	if _, err := c.TokenSource(nil, &tokensource.Options{Logger: discard()}).TokenContext(context.Background()); !errors.Is(err, ErrNoRefreshToken) {
		t.Errorf("nil token, no cache: got %v; want ErrNoRefreshToken", err)
	}
}

func TestClientCredentialsSourceRefetches(t *testing.T) {
	rec, _ := grantServer(t)
	c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	src := c.ClientCredentialsSource(nil)
	t1, _ := src.TokenContext(context.Background())
	t1b, _ := src.TokenContext(context.Background())
	src.Invalidate(t1)
	t2, err := src.TokenContext(context.Background())
	if err != nil || t1 != t1b || t2.AccessToken == t1.AccessToken || rec.hits.Load() != 2 {
		t.Fatalf("got %v, %v, %v (hits %d); want one reuse and one re-fetch", t1, t1b, t2, rec.hits.Load())
	}
}

func TestCacheKeys(t *testing.T) {
	base := Config{ClientID: "id", ClientSecret: "topsecret", Scopes: []string{"b", "a"}, Endpoint: oauth2.Endpoint{TokenURL: "https://idp/token"}}
	other := base
	other.Scopes = []string{"a"}
	reordered := base
	reordered.Scopes = []string{"a", "b"}
	k1 := base.PasswordSource("jsmith", "pw", nil).Key()
	cases := map[string]string{
		"cc":        base.ClientCredentialsSource(nil).Key(),
		"cc-scope":  other.ClientCredentialsSource(nil).Key(),
		"password":  k1,
		"password2": base.PasswordSource("other", "pw", nil).Key(),
	}
	seen := map[string]string{}
	for name, k := range cases {
		if prev, dup := seen[k]; dup {
			t.Errorf("%s and %s share key %s", name, prev, k)
		}
		seen[k] = name
		testlog.NoSecrets(t, "text", k, "topsecret", "jsmith", "pw-")
	}
	if base.ClientCredentialsSource(nil).Key() != reordered.ClientCredentialsSource(nil).Key() {
		t.Error("scope order changed the key; want sorted scopes")
	}
}

func TestConfigFormattingHidesSecret(t *testing.T) {
	c := Config{ClientID: "id", ClientSecret: "very-secret-value", Endpoint: oauth2.Endpoint{TokenURL: "https://idp/token"}}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v", c, c, c), fmt.Sprintf("%v", &c)} {
		testlog.NoSecrets(t, "text", s, "very-secret-value")
	}
	var b strings.Builder
	slogText(&b).Info("config", "conf", c)
	testlog.NoSecrets(t, "text", b.String(), "very-secret-value")
	if !strings.Contains(b.String(), "client_id=id") {
		t.Errorf("slog output %q; want client_id", b.String())
	}
	src := c.PasswordSource("user", "password-value", nil)
	testlog.NoSecrets(t, "text", fmt.Sprintf("%v %+v", src, src), "very-secret-value", "password-value")
}
