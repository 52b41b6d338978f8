package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// staticSource is a subject source with a fixed token.
type staticSource struct{ tok *oauth2.Token }

func (s staticSource) TokenContext(context.Context) (*oauth2.Token, error) { return s.tok, nil }

func TestStandardsSourceCacheKeys(t *testing.T) {
	key := mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{
		{ID: "pk", AuthStyle: oauth2test.AuthPrivateKeyJWT, PublicKey: key.Public()},
	}})
	conf := &Config{ClientID: "pk", ClientAssertion: PrivateKeyJWT(key, ""), Endpoint: srv.Endpoint()}
	withCache := func() *tokensource.Options { return &tokensource.Options{Cache: &cache.Memory{}} }
	alice := func() *ServiceAccount { return &ServiceAccount{Key: key, Issuer: "robot", Subject: "alice"} }
	ctx := context.Background()

	a1 := conf.JWTBearerSource(alice(), withCache())
	a2 := conf.JWTBearerSource(alice(), withCache())
	bob := conf.JWTBearerSource(&ServiceAccount{Key: key, Issuer: "robot", Subject: "bob"}, withCache())
	if a1.Key() == "" || a1.Key() != a2.Key() || a1.Key() == bob.Key() {
		t.Errorf("ServiceAccount keys: alice %q, alice again %q, bob %q; want stable, per subject", a1.Key(), a2.Key(), bob.Key())
	}
	if _, err := a1.TokenContext(ctx); err != nil {
		t.Fatalf("cached JWT bearer source: %v", err)
	}
	// Another kind of assertion names no one stably: CacheKey is required.
	file := conf.JWTBearerSource(AssertionFile("/nonexistent"), withCache())
	if _, err := file.TokenContext(ctx); !errors.Is(err, tokensource.ErrNoCacheKey) {
		t.Errorf("AssertionFile with a cache and no CacheKey: %v; want ErrNoCacheKey", err)
	}
	o := withCache()
	o.CacheKey = "workload-a"
	if k := conf.JWTBearerSource(AssertionFile("/nonexistent"), o).Key(); k != "workload-a" {
		t.Errorf("explicit CacheKey: %q", k)
	}

	// Token exchange: the key comes from the subject source's key.
	subj := conf.JWTBearerSource(alice(), withCache())
	x1 := conf.TokenExchangeSource(subj, TokenExchange{Audience: []string{"api"}}, withCache())
	x2 := conf.TokenExchangeSource(subj, TokenExchange{Audience: []string{"other"}}, withCache())
	if x1.Key() == "" || x1.Key() == x2.Key() || x1.Key() == subj.Key() {
		t.Errorf("exchange keys %q, %q (subject %q); want distinct", x1.Key(), x2.Key(), subj.Key())
	}
	raw := conf.TokenExchangeSource(staticSource{&oauth2.Token{AccessToken: "at"}}, TokenExchange{}, withCache())
	if _, err := raw.TokenContext(ctx); !errors.Is(err, tokensource.ErrNoCacheKey) {
		t.Errorf("exchange of a keyless subject with a cache: %v; want ErrNoCacheKey", err)
	}
	actor := conf.TokenExchangeSource(subj, TokenExchange{ActorToken: "act", ActorTokenType: TokenTypeJWT}, withCache())
	if actor.Key() != "" {
		t.Errorf("exchange with an actor token derived key %q; want none", actor.Key())
	}
}

func TestExchangedTokenNA(t *testing.T) {
	rs := newRecordingServer(t, recAnswer{200, `{"access_token":"eyJ-id-token","token_type":"N_A","issued_token_type":"` + TokenTypeIDToken + `","expires_in":60}`})
	conf := &Config{ClientID: "c", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: rs.URL}}
	tok, err := conf.ExchangeToken(context.Background(), TokenExchange{SubjectToken: "st", SubjectTokenType: TokenTypeAccessToken, RequestedTokenType: TokenTypeIDToken})
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "N_A" || IssuedTokenType(tok) != TokenTypeIDToken || tok.Expiry.IsZero() {
		t.Errorf("token %+v, issued type %q", tok, IssuedTokenType(tok))
	}
	p := rs.requests()[0].params
	if p.Get("grant_type") != GrantTypeTokenExchange || p.Get("subject_token") != "st" || p.Get("requested_token_type") != TokenTypeIDToken {
		t.Errorf("request %v", p)
	}
	if IssuedTokenType(nil) != "" {
		t.Error("IssuedTokenType(nil) not empty")
	}
}
