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

// These tests run the standalone standards pieces (discovery, assertions,
// parsers, registration) against oidc-provider (testdata/oidc-provider),
// posting raw token requests where no Config method is wired yet. Under
// CI=true a missing provider fails them.

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
// and returns the status and the decoded JSON body.
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

// opaqueToken gets an opaque (introspectable) access token for svc.
func opaqueToken(t *testing.T, m *Metadata, extra ...RequestOption) (string, map[string]any) {
	t.Helper()
	v := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
	Resource(testenv.ResourceOpaque).setParam(v)
	for _, o := range extra {
		o.setParam(v)
	}
	st, body, raw := opPost(t, m.TokenEndpoint, v, testenv.SvcClientID, testenv.SvcClientSecret)
	if st != http.StatusOK {
		t.Fatalf("client_credentials: HTTP %d %s", st, raw)
	}
	return body["access_token"].(string), body
}

func opIntrospect(t *testing.T, m *Metadata, token, user, pass string, auth url.Values) *Introspection {
	t.Helper()
	v := introspectionParams(token, "access_token")
	for k, vs := range auth {
		v[k] = vs
	}
	st, _, raw := opPost(t, m.IntrospectionEndpoint, v, user, pass)
	if st != http.StatusOK {
		t.Fatalf("introspection: HTTP %d %s", st, raw)
	}
	in, err := parseIntrospection(raw)
	if err != nil {
		t.Fatal(err)
	}
	return in
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
	if got, _ := chooseAuthMethod(m.TokenEndpointAuthMethodsSupported, true, false); got != authAssertion {
		t.Errorf("chooser with an assertion: %v", got)
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
	tests := []struct {
		name, clientID, secret string
		a                      ClientAssertion
		aud                    []string
	}{
		{"private_key_jwt, aud token endpoint and issuer", testenv.PKJWTClientID, "", PrivateKeyJWT(key, testenv.PKJWTKeyID),
			assertionAudience("", m.TokenEndpoint, m.Issuer)},
		{"private_key_jwt, aud issuer", testenv.PKJWTClientID, "", PrivateKeyJWT(key, testenv.PKJWTKeyID), []string{m.Issuer}},
		{"private_key_jwt, no kid", testenv.PKJWTClientID, "", PrivateKeyJWT(key, ""), []string{m.Issuer}},
		{"client_secret_jwt", testenv.SecretJWTClientID, testenv.SecretJWTClientSecret, SecretJWT(), []string{m.Issuer}},
		{"AssertionFunc", testenv.PKJWTClientID, "", AssertionFunc(func(ctx context.Context, aud string) (string, error) {
			return PrivateKeyJWT(key, testenv.PKJWTKeyID).assertion(ctx, assertionRequest{ClientID: testenv.PKJWTClientID, Audience: []string{aud}})
		}), []string{m.Issuer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth, err := clientAssertionParams(context.Background(), tt.a, assertionRequest{ClientID: tt.clientID, Secret: tt.secret, Audience: tt.aud})
			if err != nil {
				t.Fatal(err)
			}
			v := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}, "client_id": {tt.clientID}}
			for k, vs := range auth {
				v[k] = vs
			}
			st, body, raw := opPost(t, m.TokenEndpoint, v, "", "")
			if st != http.StatusOK || body["access_token"] == nil {
				t.Fatalf("HTTP %d %s", st, raw)
			}
			// A replayed assertion is refused: each request needs a fresh one.
			st, body, _ = opPost(t, m.TokenEndpoint, v, "", "")
			if st != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Errorf("replay: HTTP %d %v; want 401 invalid_client", st, body)
			}
		})
	}
	// Another key is refused.
	other := mustKey(ecdsaP256())
	auth, _ := clientAssertionParams(context.Background(), PrivateKeyJWT(other, testenv.PKJWTKeyID),
		assertionRequest{ClientID: testenv.PKJWTClientID, Audience: []string{m.Issuer}})
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {testenv.PKJWTClientID}}
	for k, vs := range auth {
		v[k] = vs
	}
	if st, body, _ := opPost(t, m.TokenEndpoint, v, "", ""); st != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("wrong key: HTTP %d %v; want 401 invalid_client", st, body)
	}
}

func TestOIDCProviderIntrospectionAndRAR(t *testing.T) {
	m := opDiscover(t)
	details := json.RawMessage(`[{"type":"` + testenv.RARType + `","instructedAmount":{"currency":"EUR","amount":"12.30"}}]`)
	tok, body := opaqueToken(t, m, AuthorizationDetails(details))
	if ad, _ := body["authorization_details"].([]any); len(ad) != 1 {
		t.Errorf("token response authorization_details %v; want the one detail", body["authorization_details"])
	}
	in := opIntrospect(t, m, tok, testenv.SvcClientID, testenv.SvcClientSecret, nil)
	if !in.Active || in.ClientID != testenv.SvcClientID || in.Scope != "api:read" || in.Expiry.Before(time.Now()) ||
		len(in.Audience) != 1 || in.Audience[0] != testenv.ResourceOpaque || in.Issuer != m.Issuer || in.TokenType != "Bearer" {
		t.Errorf("introspection %+v", in)
	}
	if ad, _ := in.Extra["authorization_details"].([]any); len(ad) != 1 {
		t.Errorf("introspection authorization_details %v", in.Extra["authorization_details"])
	}
	// Revoked: Active false is a value.
	if st, _, raw := opPost(t, m.RevocationEndpoint, url.Values{"token": {tok}}, testenv.SvcClientID, testenv.SvcClientSecret); st != http.StatusOK {
		t.Fatalf("revocation: HTTP %d %s", st, raw)
	}
	if in := opIntrospect(t, m, tok, testenv.SvcClientID, testenv.SvcClientSecret, nil); in.Active {
		t.Errorf("revoked token is active: %+v", in)
	}
	// A detail the server's policy rejects.
	v := url.Values{"grant_type": {"client_credentials"}}
	AuthorizationDetails(json.RawMessage(`[{"type":"` + testenv.RARType + `","instructedAmount":{"amount":5}}]`)).setParam(v)
	Resource(testenv.ResourceOpaque).setParam(v)
	if st, body, _ := opPost(t, m.TokenEndpoint, v, testenv.SvcClientID, testenv.SvcClientSecret); st != http.StatusBadRequest || body["error"] != "invalid_authorization_details" {
		t.Errorf("bad details: HTTP %d %v; want invalid_authorization_details", st, body)
	}
	// An unknown resource indicator.
	v = url.Values{"grant_type": {"client_credentials"}}
	Resource("urn:example:unknown").setParam(v)
	if st, body, _ := opPost(t, m.TokenEndpoint, v, testenv.SvcClientID, testenv.SvcClientSecret); st != http.StatusBadRequest || body["error"] != "invalid_target" {
		t.Errorf("unknown resource: HTTP %d %v; want invalid_target", st, body)
	}
}

func TestOIDCProviderPAR(t *testing.T) {
	m := opDiscover(t)
	verifier := oauth2.GenerateVerifier()
	v := url.Values{"response_type": {"code"}, "client_id": {testenv.PARClientID}, "redirect_uri": {testenv.PARRedirectURI},
		"scope": {"openid api:read"}, "state": {"st-123"}}
	S256Challenge(verifier).setParam(v)
	Resource(testenv.ResourceJWT).setParam(v)
	st, _, raw := opPost(t, m.PushedAuthorizationRequestEndpoint, v, testenv.PARClientID, testenv.PARClientSecret)
	if st != http.StatusCreated {
		t.Fatalf("PAR: HTTP %d %s", st, raw)
	}
	requestURI, exp, err := parsePAR(raw)
	if err != nil || !strings.HasPrefix(requestURI, "urn:ietf:params:oauth:request_uri:") || exp <= 0 {
		t.Fatalf("parsePAR: %q %v %v", requestURI, exp, err)
	}
	authURL, err := parAuthURL(m.AuthorizationEndpoint, testenv.PARClientID, requestURI)
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := url.Parse(authURL); len(q.Query()) != 2 {
		t.Errorf("authorize URL %q carries more than client_id and request_uri", authURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cb, err := testenv.Login(ctx, authURL, testenv.PARRedirectURI, "par-user")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if cb.Query().Get("state") != "st-123" || cb.Query().Get("code") == "" || cb.Query().Get("iss") != m.Issuer {
		t.Fatalf("callback %s", cb)
	}
	tv := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")}, "redirect_uri": {testenv.PARRedirectURI}}
	Verifier(verifier).setParam(tv)
	if st, body, raw := opPost(t, m.TokenEndpoint, tv, testenv.PARClientID, testenv.PARClientSecret); st != http.StatusOK || body["access_token"] == nil {
		t.Errorf("code exchange: HTTP %d %s", st, raw)
	}
	// Without PAR the client is refused.
	direct := m.AuthorizationEndpoint + "?" + v.Encode()
	cb, err = testenv.Login(ctx, direct, testenv.PARRedirectURI, "par-user")
	if err == nil || cb == nil || cb.Query().Get("error") != "invalid_request" {
		t.Errorf("unpushed request: %v, %v; want invalid_request", cb, err)
	}
}

func TestOIDCProviderTokenExchange(t *testing.T) {
	m := opDiscover(t)
	subject, _ := opaqueToken(t, m)
	v, err := TokenExchange{SubjectToken: subject, SubjectTokenType: TokenTypeAccessToken, RequestedTokenType: TokenTypeAccessToken}.params()
	if err != nil {
		t.Fatal(err)
	}
	v.Set("scope", "api:read")
	st, body, raw := opPost(t, m.TokenEndpoint, v, testenv.TokenExchangeClientID, testenv.TokenExchangeClientSecret)
	if st != http.StatusOK || body["issued_token_type"] != TokenTypeAccessToken {
		t.Fatalf("exchange: HTTP %d %s", st, raw)
	}
	in := opIntrospect(t, m, body["access_token"].(string), testenv.TokenExchangeClientID, testenv.TokenExchangeClientSecret, nil)
	if !in.Active || in.ClientID != testenv.TokenExchangeClientID || in.Extra["subject_client_id"] != testenv.SvcClientID {
		t.Errorf("exchanged token %+v", in)
	}
	v.Set("subject_token", "not-a-token")
	if st, body, _ := opPost(t, m.TokenEndpoint, v, testenv.TokenExchangeClientID, testenv.TokenExchangeClientSecret); st != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("bad subject: HTTP %d %v; want invalid_grant", st, body)
	}
}

func TestOIDCProviderJWTBearer(t *testing.T) {
	m := opDiscover(t)
	key := testKey(t)
	sa := &ServiceAccount{Key: key, KeyID: testenv.PKJWTKeyID, Issuer: testenv.ServiceAccountIssuer, Subject: "alice", Audience: m.Issuer}
	assertion, err := sa.Assertion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v, _ := jwtBearerParams(assertion)
	v.Set("scope", "api:read")
	v.Set("client_id", testenv.PKJWTClientID)
	auth, _ := clientAssertionParams(context.Background(), PrivateKeyJWT(key, testenv.PKJWTKeyID),
		assertionRequest{ClientID: testenv.PKJWTClientID, Audience: []string{m.Issuer}})
	for k, vs := range auth {
		v[k] = vs
	}
	st, body, raw := opPost(t, m.TokenEndpoint, v, "", "")
	if st != http.StatusOK || body["access_token"] == nil {
		t.Fatalf("JWT bearer: HTTP %d %s", st, raw)
	}
	auth, _ = clientAssertionParams(context.Background(), PrivateKeyJWT(key, testenv.PKJWTKeyID),
		assertionRequest{ClientID: testenv.PKJWTClientID, Audience: []string{m.Issuer}})
	auth.Set("client_id", testenv.PKJWTClientID)
	if in := opIntrospect(t, m, body["access_token"].(string), "", "", auth); !in.Active || in.Extra["assertion_sub"] != "alice" {
		t.Errorf("introspection %+v", in)
	}
	// An assertion from another issuer is refused.
	sa.Issuer = "intruder@tokenward.test"
	bad, _ := sa.Assertion(context.Background())
	v.Set("assertion", bad)
	auth, _ = clientAssertionParams(context.Background(), PrivateKeyJWT(key, testenv.PKJWTKeyID),
		assertionRequest{ClientID: testenv.PKJWTClientID, Audience: []string{m.Issuer}})
	for k, vs := range auth {
		v[k] = vs
	}
	if st, body, _ := opPost(t, m.TokenEndpoint, v, "", ""); st != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("foreign assertion: HTTP %d %v; want invalid_grant", st, body)
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
	v := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
	Resource(testenv.ResourceOpaque).setParam(v)
	if st, _, raw := opPost(t, m.TokenEndpoint, v, reg.ClientID, reg.ClientSecret); st != http.StatusOK {
		t.Errorf("client_credentials as the new client: HTTP %d %s", st, raw)
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
