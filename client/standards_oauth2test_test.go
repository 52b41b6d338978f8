package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/oauth2test"
)

// The standards beyond client secrets through the Config methods against
// oauth2test, the fake server users test with.
func TestOAuth2TestStandards(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	const hsSecret = "hs-secret-of-at-least-thirty-two-bytes"
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{
		{ID: "svc", Secret: "svc-secret"},
		{ID: "pk", AuthStyle: oauth2test.AuthPrivateKeyJWT, PublicKey: key.Public()},
		{ID: "hs", Secret: hsSecret, AuthStyle: oauth2test.AuthSecretJWT},
		{ID: "par", Secret: "par-secret", RequirePAR: true, RedirectURIs: []string{"https://app.example/cb"}},
	}})
	ctx := context.Background()
	m, err := Discover(ctx, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.IntrospectionEndpoint != srv.IntrospectionURL() || m.PushedAuthorizationRequestEndpoint != srv.PARURL() || m.RegistrationEndpoint != srv.RegistrationURL() {
		t.Fatalf("metadata %+v", m)
	}
	pk := &Config{ClientID: "pk", Metadata: m, ClientAssertion: PrivateKeyJWT(key, "k")}
	hs := &Config{ClientID: "hs", ClientSecret: hsSecret, Metadata: m, ClientAssertion: SecretJWT()}
	svc := &Config{ClientID: "svc", ClientSecret: "svc-secret", Metadata: m}

	// Client assertions, each request (and each retry) with a fresh one.
	for _, c := range []*Config{pk, hs} {
		for i := range 2 {
			if _, err := c.ClientCredentialsToken(ctx); err != nil {
				t.Errorf("%s, request %d: %v", c.ClientID, i+1, err)
			}
		}
		// The server takes the assertion, then its answer is lost: the
		// retry must carry a new jti, or it is refused as a replay.
		srv.QueueFault(oauth2test.Fault{Process: true, Status: http.StatusServiceUnavailable, RetryAfter: "0"})
		if _, err := c.ClientCredentialsToken(ctx); err != nil {
			t.Errorf("%s, retried after a lost answer: %v", c.ClientID, err)
		}
	}
	if _, err := (&Config{ClientID: "hs", ClientSecret: hsSecret, Endpoint: srv.Endpoint()}).ClientCredentialsToken(ctx); err == nil {
		t.Error("secret JWT client with its secret in Basic or the body: no error")
	}

	// Introspection; another client's token is inactive, a value.
	tok, err := svc.ClientCredentialsToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if in, err := svc.Introspect(ctx, tok.AccessToken, "access_token"); err != nil || !in.Active || in.ClientID != "svc" {
		t.Errorf("introspection %+v, %v", in, err)
	}
	if in, err := pk.Introspect(ctx, tok.AccessToken, ""); err != nil || in.Active {
		t.Errorf("another client's token: %+v, %v; want inactive", in, err)
	}

	// Token exchange of the introspected token.
	xt, err := svc.ExchangeToken(ctx, TokenExchange{SubjectToken: tok.AccessToken, SubjectTokenType: TokenTypeAccessToken})
	if err != nil || IssuedTokenType(xt) != TokenTypeAccessToken {
		t.Errorf("token exchange: %v, %v", xt, err)
	}

	// JWT bearer with the pk client's key, one token and a source.
	as, _ := (&ServiceAccount{Key: key, Issuer: "robot", Subject: "alice", Audience: m.TokenEndpoint}).Assertion(ctx)
	if _, err := pk.JWTBearerToken(ctx, as); err != nil {
		t.Errorf("JWT bearer: %v", err)
	}
	src := pk.JWTBearerSource(&ServiceAccount{Key: key, Issuer: "robot", Subject: "bob"}, nil)
	for i := range 2 {
		tok, err := src.TokenContext(ctx)
		if err != nil {
			t.Fatalf("JWT bearer source, token %d: %v", i+1, err)
		}
		src.Invalidate(tok)
	}

	// PAR: the pushed request authorizes; an unpushed one is refused.
	par := &Config{ClientID: "par", ClientSecret: "par-secret", Metadata: m, RedirectURL: "https://app.example/cb"}
	authURL, err := par.PushAuthCodeURL(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := url.Parse(authURL); len(q.Query()) != 2 {
		t.Errorf("authorize URL %q carries more than client_id and request_uri", authURL)
	}
	cb, err := srv.Authorize(authURL, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil || cb.Query().Get("code") == "" || cb.Query().Get("state") != "s1" {
		t.Errorf("PAR authorize: %v, %v", cb, err)
	}
	srv.Advance(oauth2test.PARLifetime)
	if _, err := srv.Authorize(authURL, oauth2test.DefaultUsername, oauth2test.DefaultPassword); err == nil {
		t.Error("expired request_uri: no error")
	}
	if _, err := srv.Authorize(par.AuthCodeURL("s1"), oauth2test.DefaultUsername, oauth2test.DefaultPassword); err == nil {
		t.Error("unpushed request of a RequirePAR client: no error")
	}
	if _, err := (&Config{ClientID: "par", Endpoint: srv.Endpoint()}).PushAuthCodeURL(ctx, "s"); err == nil {
		t.Error("PushAuthCodeURL without a PAR endpoint: no error")
	}

	// The protected resource names this server (RFC 9728).
	rm, err := DiscoverResource(ctx, srv.ResourceURL(), nil)
	if err != nil || len(rm.AuthorizationServers) != 1 || rm.AuthorizationServers[0] != srv.URL {
		t.Errorf("DiscoverResource: %+v, %v", rm, err)
	}

	// Registration and management.
	reg, err := Register(ctx, m.RegistrationEndpoint, &ClientMetadata{GrantTypes: []string{"client_credentials"}, Scope: "a"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&Config{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, Metadata: m}).ClientCredentialsToken(ctx); err != nil {
		t.Errorf("registered client: %v", err)
	}
	if got, err := reg.Update(ctx, &ClientMetadata{GrantTypes: []string{"client_credentials"}, ClientName: "n"}, nil); err != nil || got.Metadata.ClientName != "n" {
		t.Errorf("Update: %v %v", got, err)
	}
	if err := reg.Delete(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Read(ctx, nil); err == nil {
		t.Error("Read after Delete: no error")
	}
	_ = errors.Is
	_ = oauth2.AuthStyleAutoDetect
}

// A server whose metadata requires PAR: AuthCodeURL is refused,
// PushAuthCodeURL is what works.
func TestOAuth2TestRequirePAR(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{RequirePAR: true, Clients: []oauth2test.Client{
		{ID: "web", Secret: "web-secret", RedirectURIs: []string{"https://app.example/cb"}},
	}})
	ctx := context.Background()
	m, err := Discover(ctx, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !m.RequirePushedAuthorizationRequests {
		t.Fatal("metadata does not require PAR")
	}
	conf := &Config{ClientID: "web", ClientSecret: "web-secret", Metadata: m, RedirectURL: "https://app.example/cb"}
	if _, err := srv.Authorize(conf.AuthCodeURL("s"), oauth2test.DefaultUsername, oauth2test.DefaultPassword); err == nil {
		t.Error("AuthCodeURL accepted by a server requiring PAR")
	}
	authURL, err := conf.PushAuthCodeURL(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if cb, err := srv.Authorize(authURL, oauth2test.DefaultUsername, oauth2test.DefaultPassword); err != nil || cb.Query().Get("code") == "" {
		t.Errorf("pushed request: %v, %v", cb, err)
	}
}
