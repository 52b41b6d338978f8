package client

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/testenv"
)

// These tests run the standards beyond client secrets (discovery,
// client assertions, JWT bearer, token exchange, introspection, PAR,
// resource indicators, RAR, registration) end to end through the Config
// methods against oidc-provider (testdata/oidc-provider). Under CI=true
// a missing provider fails them.

func testKey(t *testing.T) crypto.Signer {
	t.Helper()
	b, err := os.ReadFile("testdata/private_key_jwt.pem")
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(crypto.Signer)
}

// opPost posts form v to rawURL, with HTTP Basic when user is not empty,
// and returns the status and the decoded JSON body. It is for what no
// Config does on purpose, such as replaying an assertion.
func opPost(t *testing.T, rawURL string, v url.Values, user, pass string) (int, map[string]any, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, rawURL, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m, b
}

func opDiscover(t *testing.T) *Metadata {
	t.Helper()
	iss := testenv.OIDCProvider(t)
	if iss == "" {
		t.FailNow()
	}
	m, err := Discover(context.Background(), iss, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// svcConfig is the provider's machine client, configured by Metadata
// alone.
func svcConfig(m *Metadata) *Config {
	return &Config{ClientID: testenv.SvcClientID, ClientSecret: testenv.SvcClientSecret, Metadata: m, Scopes: []string{"api:read"}}
}

// pkjwtConfig is the private_key_jwt client.
func pkjwtConfig(t *testing.T, m *Metadata) *Config {
	return &Config{ClientID: testenv.PKJWTClientID, Metadata: m, ClientAssertion: PrivateKeyJWT(testKey(t), testenv.PKJWTKeyID)}
}

// opaqueToken gets an opaque (introspectable) access token for svc.
func opaqueToken(t *testing.T, m *Metadata, extra ...RequestOption) *oauth2.Token {
	t.Helper()
	tok, err := svcConfig(m).ClientCredentialsToken(context.Background(), append([]RequestOption{Resource(testenv.ResourceOpaque)}, extra...)...)
	if err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	return tok
}

func TestOIDCProviderDiscovery(t *testing.T) {
	m := opDiscover(t)
	ep := testenv.EndpointsFor(m.Issuer)
	if m.TokenEndpoint != ep.Token || m.AuthorizationEndpoint != ep.Auth || m.DeviceAuthorizationEndpoint != ep.DeviceAuth ||
		m.IntrospectionEndpoint != ep.Introspection || m.RevocationEndpoint != ep.Revocation || m.JWKSURI != ep.JWKS ||
		m.PushedAuthorizationRequestEndpoint != m.Issuer+testenv.PathPAR || m.RegistrationEndpoint != m.Issuer+testenv.PathRegistration {
		t.Errorf("metadata %+v does not match testenv's endpoints", m)
	}
	for _, want := range []struct {
		list []string
		v    string
	}{
		{m.TokenEndpointAuthMethodsSupported, "private_key_jwt"}, {m.TokenEndpointAuthMethodsSupported, "client_secret_jwt"},
		{m.GrantTypesSupported, GrantTypeTokenExchange}, {m.GrantTypesSupported, GrantTypeJWTBearer},
		{m.AuthorizationDetailsTypesSupported, testenv.RARType}, {m.DPoPSigningAlgValuesSupported, "ES256"},
		{m.CodeChallengeMethodsSupported, "S256"},
	} {
		if !strings.Contains(" "+strings.Join(want.list, " ")+" ", " "+want.v+" ") {
			t.Errorf("metadata lacks %q in %q", want.v, want.list)
		}
	}
	if !m.AuthorizationResponseIssParameterSupported {
		t.Error("authorization_response_iss_parameter_supported is false")
	}
	if got := m.Endpoint(); got.TokenURL != ep.Token || got.AuthStyle != oauth2.AuthStyleAutoDetect {
		t.Errorf("Endpoint() = %+v", got)
	}
	// A Config with Metadata alone (no URL of its own) works, and is not modified.
	conf := svcConfig(m)
	before := *conf
	if _, err := conf.ClientCredentialsToken(context.Background(), Resource(testenv.ResourceOpaque)); err != nil {
		t.Fatalf("client_credentials with Metadata only: %v", err)
	}
	if conf.Endpoint != before.Endpoint || conf.RevocationURL != "" || conf.IntrospectionURL != "" || conf.PARURL != "" {
		t.Errorf("the Config was modified: %+v", conf)
	}
	// oidc-provider serves both documents; the OIDC one must agree.
	resp, err := http.Get(m.Issuer + testenv.PathDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var oidc Metadata
	if err := json.NewDecoder(resp.Body).Decode(&oidc); err != nil || oidc.Issuer != m.Issuer || oidc.TokenEndpoint != m.TokenEndpoint {
		t.Errorf("OIDC document %+v, %v", oidc, err)
	}
	// The same server under another name is another issuer.
	other := strings.Replace(m.Issuer, "127.0.0.1", "localhost", 1)
	if _, err := Discover(context.Background(), other, nil); !errors.Is(err, ErrIssuerMismatch) {
		t.Errorf("Discover(%s) = %v; want ErrIssuerMismatch", other, err)
	}
}

func TestOIDCProviderClientAssertions(t *testing.T) {
	m := opDiscover(t)
	key := testKey(t)
	ctx := context.Background()
	tests := []struct {
		name, clientID, secret, aud string
		a                           ClientAssertion
	}{
		{"private_key_jwt, aud token endpoint and issuer", testenv.PKJWTClientID, "", "", PrivateKeyJWT(key, testenv.PKJWTKeyID)},
		{"private_key_jwt, aud issuer", testenv.PKJWTClientID, "", m.Issuer, PrivateKeyJWT(key, testenv.PKJWTKeyID)},
		{"private_key_jwt, no kid", testenv.PKJWTClientID, "", "", PrivateKeyJWT(key, "")},
		{"client_secret_jwt", testenv.SecretJWTClientID, testenv.SecretJWTClientSecret, "", SecretJWT()},
		{"AssertionFunc", testenv.PKJWTClientID, "", m.Issuer, AssertionFunc(func(ctx context.Context, aud string) (string, error) {
			return PrivateKeyJWT(key, testenv.PKJWTKeyID).assertion(ctx, assertionRequest{ClientID: testenv.PKJWTClientID, Audience: []string{aud}})
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := &Config{ClientID: tt.clientID, ClientSecret: tt.secret, Metadata: m, ClientAssertion: tt.a, AssertionAudience: tt.aud,
				Scopes: []string{"api:read"}}
			for i := range 2 { // the second request needs a fresh assertion
				if _, err := conf.ClientCredentialsToken(ctx); err != nil {
					t.Fatalf("request %d: %v", i+1, err)
				}
			}
		})
	}
	// What makes a fresh assertion per request necessary: a replay is refused.
	auth, _ := clientAssertionParams(ctx, PrivateKeyJWT(key, testenv.PKJWTKeyID),
		assertionRequest{ClientID: testenv.PKJWTClientID, Audience: []string{m.Issuer}})
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {testenv.PKJWTClientID}}
	for k, vs := range auth {
		v[k] = vs
	}
	if st, _, raw := opPost(t, m.TokenEndpoint, v, "", ""); st != http.StatusOK {
		t.Fatalf("first use: HTTP %d %s", st, raw)
	}
	if st, body, _ := opPost(t, m.TokenEndpoint, v, "", ""); st != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("replay: HTTP %d %v; want 401 invalid_client", st, body)
	}
	// client_secret_jwt chosen from the metadata: the sjwt client announces
	// no method of its own, so only SecretJWT set explicitly works; with
	// only its secret, auto-detection tries Basic and the body and fails.
	if _, err := (&Config{ClientID: testenv.SecretJWTClientID, ClientSecret: testenv.SecretJWTClientSecret, Metadata: m}).ClientCredentialsToken(ctx); err == nil {
		t.Error("client_secret_jwt client with its secret in Basic or the body: no error")
	}
	// Another key is refused, and the secret is never tried after it.
	ct := &countingTransport{base: http.DefaultTransport}
	conf := &Config{ClientID: testenv.PKJWTClientID, ClientSecret: "a-secret-never-sent", Metadata: m, HTTPClient: &http.Client{Transport: ct},
		ClientAssertion: PrivateKeyJWT(mustKey(ecdsaP256()), testenv.PKJWTKeyID)}
	_, err := conf.ClientCredentialsToken(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Errorf("wrong key: %v; want invalid_client", err)
	}
	if n := ct.n.Load(); n != 1 {
		t.Errorf("wrong key: %d requests; want 1 (no downgrade to the secret)", n)
	}
}

func TestOIDCProviderIntrospectionAndRAR(t *testing.T) {
	m := opDiscover(t)
	ctx := context.Background()
	details := json.RawMessage(`[{"type":"` + testenv.RARType + `","instructedAmount":{"currency":"EUR","amount":"12.30"}}]`)
	tok := opaqueToken(t, m, AuthorizationDetails(details))
	if ad, _ := tok.Extra("authorization_details").([]any); len(ad) != 1 {
		t.Errorf("token response authorization_details %v; want the one detail", tok.Extra("authorization_details"))
	}
	conf := svcConfig(m)
	in, err := conf.Introspect(ctx, tok.AccessToken, "access_token")
	if err != nil {
		t.Fatal(err)
	}
	if !in.Active || in.ClientID != testenv.SvcClientID || in.Scope != "api:read" || in.Expiry.Before(time.Now()) ||
		len(in.Audience) != 1 || in.Audience[0] != testenv.ResourceOpaque || in.Issuer != m.Issuer || in.TokenType != "Bearer" {
		t.Errorf("introspection %+v", in)
	}
	if ad, _ := in.Extra["authorization_details"].([]any); len(ad) != 1 {
		t.Errorf("introspection authorization_details %v", in.Extra["authorization_details"])
	}
	// Introspection with a client assertion (this provider lets any
	// authenticated client introspect).
	if in, err := pkjwtConfig(t, m).Introspect(ctx, tok.AccessToken, ""); err != nil || !in.Active || in.ClientID != testenv.SvcClientID {
		t.Errorf("introspection as the private_key_jwt client: %+v, %v", in, err)
	}
	// Revoked: Active false is a value.
	if err := conf.Revoke(ctx, tok.AccessToken, "access_token"); err != nil {
		t.Fatalf("revocation: %v", err)
	}
	if in, err := conf.Introspect(ctx, tok.AccessToken, "access_token"); err != nil || in.Active {
		t.Errorf("revoked token: %+v, %v; want inactive", in, err)
	}
	// A detail the server's policy rejects, and an unknown resource indicator.
	for _, tt := range []struct {
		name string
		opts []RequestOption
		want string
	}{
		{"bad details", []RequestOption{Resource(testenv.ResourceOpaque),
			AuthorizationDetails(json.RawMessage(`[{"type":"` + testenv.RARType + `","instructedAmount":{"amount":5}}]`))}, "invalid_authorization_details"},
		{"unknown resource", []RequestOption{Resource("urn:example:unknown")}, "invalid_target"},
	} {
		_, err := conf.ClientCredentialsToken(ctx, tt.opts...)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != tt.want {
			t.Errorf("%s: %v; want %s", tt.name, err, tt.want)
		}
	}
}

func TestOIDCProviderPAR(t *testing.T) {
	m := opDiscover(t)
	if !strings.Contains(string(m.Raw), "pushed_authorization_request_endpoint") {
		t.Fatal("no PAR endpoint announced")
	}
	conf := &Config{ClientID: testenv.PARClientID, ClientSecret: testenv.PARClientSecret, Metadata: m,
		RedirectURL: testenv.PARRedirectURI, Scopes: []string{"openid", "api:read"}}
	verifier := oauth2.GenerateVerifier()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	authURL, err := conf.PushAuthCodeURL(ctx, "st-123", S256Challenge(verifier), Resource(testenv.ResourceJWT))
	if err != nil {
		t.Fatal(err)
	}
	q, _ := url.Parse(authURL)
	if len(q.Query()) != 2 || !strings.HasPrefix(q.Query().Get("request_uri"), "urn:ietf:params:oauth:request_uri:") {
		t.Errorf("authorize URL %q carries more than client_id and request_uri", authURL)
	}
	cb, err := testenv.Login(ctx, authURL, testenv.PARRedirectURI, "par-user")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	code, err := ParseCallback(cb.String(), "st-123")
	if err != nil || cb.Query().Get("iss") != m.Issuer {
		t.Fatalf("callback %s: %v", cb, err)
	}
	tok, err := conf.Exchange(ctx, code, Verifier(verifier), Resource(testenv.ResourceJWT))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	var claims struct {
		Aud any `json:"aud"`
	}
	if !jwtClaims(tok.AccessToken, 0, &claims) || claims.Aud != testenv.ResourceJWT {
		t.Errorf("access token aud %v; want the resource indicator %s", claims.Aud, testenv.ResourceJWT)
	}
	// Without PAR the client is refused: AuthCodeURL is not for this server.
	cb, err = testenv.Login(ctx, conf.AuthCodeURL("st-123", S256Challenge(verifier)), testenv.PARRedirectURI, "par-user")
	if err == nil || cb == nil || cb.Query().Get("error") != "invalid_request" {
		t.Errorf("unpushed request: %v, %v; want invalid_request", cb, err)
	}
	// PAR with a client assertion, and a pushed request the server refuses.
	// The pkjwt client may not use the code grant: authenticated by its
	// assertion, then refused for what it asks.
	_, err = pkjwtConfig(t, m).PushAuthCodeURL(ctx, "s")
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode == "" || re.ErrorCode == "invalid_client" {
		t.Errorf("PAR by a client without the code grant: %v; want a refusal after authentication", err)
	} else {
		t.Logf("PAR refusal: %s", re.ErrorCode)
	}
}

func TestOIDCProviderTokenExchange(t *testing.T) {
	m := opDiscover(t)
	ctx := context.Background()
	subject := opaqueToken(t, m)
	conf := &Config{ClientID: testenv.TokenExchangeClientID, ClientSecret: testenv.TokenExchangeClientSecret, Metadata: m, Scopes: []string{"api:read"}}
	tok, err := conf.ExchangeToken(ctx, TokenExchange{SubjectToken: subject.AccessToken, SubjectTokenType: TokenTypeAccessToken, RequestedTokenType: TokenTypeAccessToken})
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if got := IssuedTokenType(tok); got != TokenTypeAccessToken {
		t.Errorf("IssuedTokenType = %q; want %q", got, TokenTypeAccessToken)
	}
	in, err := conf.Introspect(ctx, tok.AccessToken, "")
	if err != nil || !in.Active || in.ClientID != testenv.TokenExchangeClientID || in.Extra["subject_client_id"] != testenv.SvcClientID {
		t.Errorf("exchanged token %+v, %v", in, err)
	}
	_, err = conf.ExchangeToken(ctx, TokenExchange{SubjectToken: "not-a-token", SubjectTokenType: TokenTypeAccessToken})
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("bad subject: %v; want invalid_grant", err)
	}

	// The source: its subject comes from another source, asked again at
	// every renewal, and the exchanged token never outlives it.
	subjects := &subjectSource{t: t, m: m, life: 2 * time.Minute}
	src := conf.TokenExchangeSource(subjects, TokenExchange{RequestedTokenType: TokenTypeAccessToken}, nil)
	var last string
	for i := range 2 {
		tok, err := src.TokenContext(ctx)
		if err != nil {
			t.Fatalf("source, token %d: %v", i+1, err)
		}
		if tok.AccessToken == last {
			t.Errorf("source, token %d: not renewed", i+1)
		}
		last = tok.AccessToken
		if !tok.Expiry.Equal(subjects.last.Expiry) {
			t.Errorf("source, token %d: expiry %v; want the subject's %v", i+1, tok.Expiry, subjects.last.Expiry)
		}
		if in, err := conf.Introspect(ctx, tok.AccessToken, ""); err != nil || in.Extra["subject_client_id"] != testenv.SvcClientID {
			t.Errorf("source, token %d: %+v, %v", i+1, in, err)
		}
		src.Invalidate(tok) // as a resource server's 401 would
	}
	if subjects.n != 2 {
		t.Errorf("subject asked %d times; want 2 (once per renewal)", subjects.n)
	}
}

// subjectSource hands out a new opaque svc token each time, with the
// given lifetime.
type subjectSource struct {
	t    *testing.T
	m    *Metadata
	life time.Duration
	n    int
	last *oauth2.Token
}

func (s *subjectSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.n++
	tok := opaqueToken(s.t, s.m)
	tok.Expiry = time.Now().Add(s.life).Round(time.Second)
	s.last = tok
	return tok, nil
}

func TestOIDCProviderJWTBearer(t *testing.T) {
	m := opDiscover(t)
	ctx := context.Background()
	key := testKey(t)
	conf := pkjwtConfig(t, m)
	conf.Scopes = []string{"api:read"}
	sa := &ServiceAccount{Key: key, KeyID: testenv.PKJWTKeyID, Issuer: testenv.ServiceAccountIssuer, Subject: "alice", Audience: m.Issuer}
	assertion, err := sa.Assertion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := conf.JWTBearerToken(ctx, assertion)
	if err != nil {
		t.Fatalf("JWT bearer: %v", err)
	}
	if in, err := conf.Introspect(ctx, tok.AccessToken, ""); err != nil || !in.Active || in.Extra["assertion_sub"] != "alice" {
		t.Errorf("introspection %+v, %v", in, err)
	}
	// The source signs a fresh assertion for each token, its audience
	// taken from the Config (token endpoint and issuer).
	src := conf.JWTBearerSource(&ServiceAccount{Key: key, KeyID: testenv.PKJWTKeyID, Issuer: testenv.ServiceAccountIssuer, Subject: "bob"}, nil)
	for i := range 2 {
		tok, err := src.TokenContext(ctx)
		if err != nil {
			t.Fatalf("source, token %d: %v", i+1, err)
		}
		if in, err := conf.Introspect(ctx, tok.AccessToken, ""); err != nil || in.Extra["assertion_sub"] != "bob" {
			t.Errorf("source token %d: %+v, %v", i+1, in, err)
		}
		src.Invalidate(tok)
	}
	// An assertion from another issuer is refused.
	sa.Issuer = "intruder@tokenward.test"
	bad, _ := sa.Assertion(ctx)
	_, err = conf.JWTBearerToken(ctx, bad)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("foreign assertion: %v; want invalid_grant", err)
	}
}

func TestOIDCProviderRegistration(t *testing.T) {
	m := opDiscover(t)
	ctx := context.Background()
	reg, err := Register(ctx, m.RegistrationEndpoint, &ClientMetadata{
		ClientName: "tokenward test", GrantTypes: []string{"client_credentials"}, ResponseTypes: []string{},
		RedirectURIs: []string{}, TokenEndpointAuthMethod: "client_secret_basic", Scope: "api:read",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reg.ClientID == "" || reg.ClientSecret == "" || reg.RegistrationAccessToken == "" || reg.ClientIDIssuedAt.IsZero() {
		t.Fatalf("registration %+v", reg)
	}
	// The new client works.
	nc := &Config{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, Metadata: m, Scopes: []string{"api:read"}}
	if _, err := nc.ClientCredentialsToken(ctx, Resource(testenv.ResourceOpaque)); err != nil {
		t.Errorf("client_credentials as the new client: %v", err)
	}
	got, err := reg.Read(ctx, nil)
	if err != nil || got.ClientID != reg.ClientID || got.Metadata.ClientName != "tokenward test" {
		t.Fatalf("Read: %+v, %v", got, err)
	}
	upd, err := got.Update(ctx, &ClientMetadata{ClientName: "renamed", GrantTypes: []string{"client_credentials"}, ResponseTypes: []string{},
		RedirectURIs: []string{}, TokenEndpointAuthMethod: "client_secret_basic", Scope: "api:read"}, nil)
	if err != nil || upd.Metadata.ClientName != "renamed" {
		t.Fatalf("Update: %+v, %v", upd, err)
	}
	if err := upd.Delete(ctx, nil); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := upd.Read(ctx, nil); err == nil {
		t.Error("Read after Delete: no error")
	}
	// Metadata the server refuses: an RFC 7591 error.
	_, err = Register(ctx, m.RegistrationEndpoint, &ClientMetadata{RedirectURIs: []string{"not a url"}}, nil)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || !strings.HasPrefix(re.ErrorCode, "invalid_") {
		t.Errorf("bad metadata: %v; want an invalid_* *oauth2.RetrieveError", err)
	}
}
