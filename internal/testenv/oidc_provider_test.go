package testenv_test

// These tests run against the real oidc-provider that testenv.OIDCProvider starts. They
// check the fixture itself (server.mjs and this package's helpers), using plain net/http so they
// do not depend on the SDK under development.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/internal/testenv"
)

type authMethod string

const (
	basicAuth authMethod = "client_secret_basic"
	postAuth  authMethod = "client_secret_post"
	noAuth    authMethod = "none"
)

type client struct {
	id, secret string
	auth       authMethod
}

var (
	svcBasic = client{testenv.SvcClientID, testenv.SvcClientSecret, basicAuth}
	svcPost  = client{testenv.SvcClientID, testenv.SvcClientSecret, postAuth}
	appBasic = client{testenv.AppClientID, testenv.AppClientSecret, basicAuth}
	appPost  = client{testenv.AppClientID, testenv.AppClientSecret, postAuth}
	cliNone  = client{id: testenv.CLIClientID, auth: noAuth}
)

type tokenResponse struct {
	status           int
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	IDToken          string `json:"id_token"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// post sends form to endpoint, authenticating as c, and decodes the JSON answer into out.
func post(t *testing.T, ctx context.Context, endpoint string, c client, form url.Values, out any) int {
	t.Helper()
	form = cloneValues(form)
	switch c.auth {
	case postAuth:
		form.Set("client_id", c.id)
		form.Set("client_secret", c.secret)
	case noAuth:
		form.Set("client_id", c.id)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.auth == basicAuth { // RFC 6749 §2.3.1: form-encode, then Basic
		req.SetBasicAuth(url.QueryEscape(c.id), url.QueryEscape(c.secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("POST %s: reading body: %v", endpoint, err)
	}
	if out != nil && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("POST %s: HTTP %d, body is not JSON: %v: %.300s", endpoint, resp.StatusCode, err, body)
		}
	}
	return resp.StatusCode
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func tokenRequest(t *testing.T, ctx context.Context, iss string, c client, form url.Values) tokenResponse {
	t.Helper()
	var tr tokenResponse
	tr.status = post(t, ctx, testenv.EndpointsFor(iss).Token, c, form, &tr)
	return tr
}

// wantToken fails the test unless tr is a successful token response.
func wantToken(t *testing.T, tr tokenResponse) {
	t.Helper()
	if tr.status != http.StatusOK || tr.AccessToken == "" {
		t.Fatalf("token response: got HTTP %d error=%q (%s); want HTTP 200 with an access_token", tr.status, tr.Error, tr.ErrorDescription)
	}
	if !strings.EqualFold(tr.TokenType, "Bearer") {
		t.Errorf("token_type: got %q; want Bearer", tr.TokenType)
	}
	if got, want := time.Duration(tr.ExpiresIn)*time.Second, testenv.AccessTokenTTL; got != want {
		t.Errorf("expires_in: got %v; want %v", got, want)
	}
}

// wantError fails the test unless tr is an RFC 6749 §5.2 error response with code and status.
func wantError(t *testing.T, tr tokenResponse, status int, code string) {
	t.Helper()
	if tr.status != status || tr.Error != code {
		t.Fatalf("got HTTP %d error=%q (%s) access_token=%t; want HTTP %d error=%q", tr.status, tr.Error, tr.ErrorDescription, tr.AccessToken != "", status, code)
	}
}

// claims decodes the payload of a JWT without verifying it (shape checks only).
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("got a token with %d dot-separated parts; want a JWT (3): %.40s…", len(parts), jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return m
}

func wantClaim(t *testing.T, c map[string]any, name string, want any) {
	t.Helper()
	if got := c[name]; got != want {
		t.Errorf("claim %s: got %v; want %v", name, got, want)
	}
}

func newPKCE() (verifier, challenge string) {
	b := make([]byte, 32)
	rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authURL builds an authorization request; challenge "" leaves PKCE out.
func authURL(iss, clientID, redirectURI, scope, state, challenge string) string {
	q := url.Values{
		"client_id":     {clientID},
		"response_type": {"code"},
		"redirect_uri":  {redirectURI},
		"scope":         {scope},
		"state":         {state},
	}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	return testenv.EndpointsFor(iss).Auth + "?" + q.Encode()
}

// login runs an auth-code + PKCE login as user and returns the code and its verifier.
func login(t *testing.T, ctx context.Context, iss string, c client, redirectURI, scope, user string) (code, verifier string) {
	t.Helper()
	verifier, challenge := newPKCE()
	state := "st-" + user
	cb, err := testenv.Login(ctx, authURL(iss, c.id, redirectURI, scope, state, challenge), redirectURI, user)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	q := cb.Query()
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != redirectURI {
		t.Errorf("callback: got %s; want %s", got, redirectURI)
	}
	if got := q.Get("state"); got != state {
		t.Errorf("callback state: got %q; want %q", got, state)
	}
	if got := q.Get("iss"); got != iss {
		t.Errorf("callback iss: got %q; want %q", got, iss)
	}
	if q.Get("code") == "" {
		t.Fatalf("callback %s: got no code; want one", cb)
	}
	return q.Get("code"), verifier
}

func exchange(t *testing.T, ctx context.Context, iss string, c client, code, redirectURI, verifier string) tokenResponse {
	t.Helper()
	return tokenRequest(t, ctx, iss, c, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
	})
}

func refresh(t *testing.T, ctx context.Context, iss string, c client, rt string) tokenResponse {
	t.Helper()
	return tokenRequest(t, ctx, iss, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

func TestDiscoveryMatchesConstants(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	ctx := testContext(t)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, iss+testenv.PathDiscovery, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	ep := testenv.EndpointsFor(iss)
	for key, want := range map[string]string{
		"issuer":                        ep.Issuer,
		"authorization_endpoint":        ep.Auth,
		"token_endpoint":                ep.Token,
		"device_authorization_endpoint": ep.DeviceAuth,
		"introspection_endpoint":        ep.Introspection,
		"revocation_endpoint":           ep.Revocation,
		"jwks_uri":                      ep.JWKS,
		"userinfo_endpoint":             ep.UserInfo,
	} {
		if got := doc[key]; got != want {
			t.Errorf("discovery %s: got %v; want %s", key, got, want)
		}
	}
}

func TestClientCredentials(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	tests := []struct {
		name      string
		client    client
		form      url.Values
		status    int
		errCode   string
		wantScope string
		wantJWT   bool
	}{
		{name: "basic", client: svcBasic, form: url.Values{"scope": {"api:read"}}, status: 200, wantScope: "api:read", wantJWT: true},
		{name: "client_secret_post", client: svcPost, form: url.Values{"scope": {testenv.SvcScope}}, status: 200, wantScope: testenv.SvcScope, wantJWT: true},
		{name: "no scope", client: svcBasic, status: 200, wantJWT: true},
		{name: "opaque resource", client: svcBasic, form: url.Values{"scope": {"api:read"}, "resource": {testenv.ResourceOpaque}}, status: 200, wantScope: "api:read"},
		{name: "wrong secret basic", client: client{svcBasic.id, "wrong", basicAuth}, status: 401, errCode: "invalid_client"},
		{name: "wrong secret post", client: client{svcPost.id, "wrong", postAuth}, status: 401, errCode: "invalid_client"},
		{name: "unknown client", client: client{"nobody", "x", basicAuth}, status: 401, errCode: "invalid_client"},
		{name: "scope not allowed", client: svcBasic, form: url.Values{"scope": {"openid"}}, status: 400, errCode: "invalid_scope"},
		{name: "unknown resource", client: svcBasic, form: url.Values{"resource": {"urn:other"}}, status: 400, errCode: "invalid_target"},
		// oidc-provider answers invalid_request here, where RFC 6749 §5.2 suggests unauthorized_client.
		{name: "grant not allowed", client: appBasic, status: 400, errCode: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			form := cloneValues(tt.form)
			form.Set("grant_type", "client_credentials")
			tr := tokenRequest(t, testContext(t), iss, tt.client, form)
			if tt.errCode != "" {
				wantError(t, tr, tt.status, tt.errCode)
				return
			}
			wantToken(t, tr)
			if tr.Scope != tt.wantScope {
				t.Errorf("scope: got %q; want %q", tr.Scope, tt.wantScope)
			}
			if tr.RefreshToken != "" {
				t.Errorf("refresh_token: got one; want none for client_credentials")
			}
			if got := strings.Count(tr.AccessToken, ".") == 2; got != tt.wantJWT {
				t.Fatalf("access token is a JWT: got %t; want %t", got, tt.wantJWT)
			}
			if tt.wantJWT {
				c := claims(t, tr.AccessToken)
				wantClaim(t, c, "iss", iss)
				wantClaim(t, c, "aud", testenv.ResourceJWT)
				wantClaim(t, c, "client_id", testenv.SvcClientID)
				wantClaim(t, c, "sub", testenv.SvcClientID)
			}
		})
	}
}

func TestAuthCodePKCE(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	tests := []struct {
		name, redirectURI, scope string
		client                   client
		wantScope                string
	}{
		{name: "confidential basic", client: appBasic, redirectURI: testenv.AppRedirectURI, scope: "openid offline_access api:read", wantScope: "api:read"},
		{name: "confidential post", client: appPost, redirectURI: testenv.AppRedirectURI, scope: testenv.AppScope, wantScope: "api:read api:write"},
		{name: "public native any loopback port", client: cliNone, redirectURI: testenv.CLIRedirectURIPort(53123), scope: testenv.CLIScope, wantScope: "api:read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			user := "alice-" + tt.client.id + "-" + string(tt.client.auth)
			code, verifier := login(t, ctx, iss, tt.client, tt.redirectURI, tt.scope, user)
			tr := exchange(t, ctx, iss, tt.client, code, tt.redirectURI, verifier)
			wantToken(t, tr)
			if tr.Scope != tt.wantScope {
				t.Errorf("scope: got %q; want %q", tr.Scope, tt.wantScope)
			}
			if tr.RefreshToken == "" {
				t.Errorf("refresh_token: got none; want one")
			}
			if tr.IDToken == "" {
				t.Fatalf("id_token: got none; want one (scope openid)")
			}
			id := claims(t, tr.IDToken)
			wantClaim(t, id, "iss", iss)
			wantClaim(t, id, "sub", user)
			wantClaim(t, id, "aud", tt.client.id)
			at := claims(t, tr.AccessToken)
			wantClaim(t, at, "sub", user)
			wantClaim(t, at, "client_id", tt.client.id)
			wantClaim(t, at, "aud", testenv.ResourceJWT)
		})
	}
}

func TestAuthCodeErrors(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	redirect := testenv.AppRedirectURI
	tests := []struct {
		name string
		run  func(t *testing.T, ctx context.Context)
	}{
		{"PKCE missing", func(t *testing.T, ctx context.Context) {
			cb, err := testenv.Login(ctx, authURL(iss, appBasic.id, redirect, "openid", "s", ""), redirect, "alice")
			if err == nil {
				t.Fatalf("Login without PKCE: got callback %v, no error; want an error", cb)
			}
			if cb == nil || cb.Query().Get("error") != "invalid_request" {
				t.Errorf("Login without PKCE: got callback %v; want error=invalid_request", cb)
			}
		}},
		{"unregistered redirect_uri", func(t *testing.T, ctx context.Context) {
			other := "http://127.0.0.1:9999/elsewhere"
			cb, err := testenv.Login(ctx, authURL(iss, appBasic.id, other, "openid", "s", "x"), other, "alice")
			if err == nil || !strings.Contains(err.Error(), "redirect_uri") {
				t.Errorf("Login: got %v, %v; want an error about redirect_uri", cb, err)
			}
		}},
		{"wrong verifier", func(t *testing.T, ctx context.Context) {
			code, _ := login(t, ctx, iss, appBasic, redirect, "openid", "alice")
			other, _ := newPKCE()
			wantError(t, exchange(t, ctx, iss, appBasic, code, redirect, other), 400, "invalid_grant")
		}},
		{"code replayed", func(t *testing.T, ctx context.Context) {
			code, verifier := login(t, ctx, iss, appBasic, redirect, "openid", "alice")
			wantToken(t, exchange(t, ctx, iss, appBasic, code, redirect, verifier))
			wantError(t, exchange(t, ctx, iss, appBasic, code, redirect, verifier), 400, "invalid_grant")
		}},
		{"redirect_uri mismatch at token endpoint", func(t *testing.T, ctx context.Context) {
			code, verifier := login(t, ctx, iss, appBasic, redirect, "openid", "alice")
			wantError(t, exchange(t, ctx, iss, appBasic, code, redirect+"x", verifier), 400, "invalid_grant")
		}},
		{"public client sends no client_id", func(t *testing.T, ctx context.Context) {
			r := testenv.CLIRedirectURIPort(40000)
			code, verifier := login(t, ctx, iss, cliNone, r, "openid", "alice")
			wantError(t, exchange(t, ctx, iss, client{auth: basicAuth}, code, r, verifier), 400, "invalid_request")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, testContext(t))
		})
	}
}

func TestDeviceFlow(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	tests := []struct {
		name   string
		client client
		scope  string
	}{
		{name: "public", client: cliNone, scope: testenv.CLIScope},
		{name: "confidential basic", client: appBasic, scope: "openid offline_access api:read"},
		{name: "confidential post", client: appPost, scope: "api:read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			var da struct {
				DeviceCode              string `json:"device_code"`
				UserCode                string `json:"user_code"`
				VerificationURI         string `json:"verification_uri"`
				VerificationURIComplete string `json:"verification_uri_complete"`
				ExpiresIn               int    `json:"expires_in"`
				Error                   string `json:"error"`
			}
			status := post(t, ctx, testenv.EndpointsFor(iss).DeviceAuth, tt.client, url.Values{"scope": {tt.scope}}, &da)
			if status != http.StatusOK || da.DeviceCode == "" || da.UserCode == "" || da.VerificationURIComplete == "" {
				t.Fatalf("device authorization: got HTTP %d %+v; want 200 with device_code, user_code, verification_uri_complete", status, da)
			}
			if got, want := da.VerificationURI, testenv.EndpointsFor(iss).Device; got != want {
				t.Errorf("verification_uri: got %q; want %q", got, want)
			}
			poll := func() tokenResponse {
				return tokenRequest(t, ctx, iss, tt.client, url.Values{"grant_type": {testenv.DeviceCodeGrantType}, "device_code": {da.DeviceCode}})
			}
			wantError(t, poll(), 400, "authorization_pending")
			if err := testenv.ApproveDevice(ctx, iss, da.VerificationURIComplete, "bob"); err != nil {
				t.Fatalf("ApproveDevice: %v", err)
			}
			tr := poll()
			wantToken(t, tr)
			if tr.RefreshToken == "" {
				t.Errorf("refresh_token: got none; want one")
			}
			wantClaim(t, claims(t, tr.AccessToken), "sub", "bob")
			wantError(t, poll(), 400, "invalid_grant") // the device code is single-use
		})
	}
}

func TestApproveDeviceWrongCode(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	ctx := testContext(t)
	err := testenv.ApproveDevice(ctx, iss, testenv.EndpointsFor(iss).Device+"?user_code=BCDF-GHJK", "bob")
	if err == nil || !strings.Contains(err.Error(), "incorrect") {
		t.Errorf("ApproveDevice with an unknown user code: got %v; want an error saying the code is incorrect", err)
	}
}

func TestRefreshRotation(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	tests := []struct {
		name, redirectURI string
		client            client
	}{
		{name: "confidential basic", client: appBasic, redirectURI: testenv.AppRedirectURI},
		{name: "confidential post", client: appPost, redirectURI: testenv.AppRedirectURI},
		{name: "public", client: cliNone, redirectURI: testenv.CLIRedirectURIPort(8123)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			code, verifier := login(t, ctx, iss, tt.client, tt.redirectURI, "openid offline_access api:read", "carol")
			t0 := exchange(t, ctx, iss, tt.client, code, tt.redirectURI, verifier)
			wantToken(t, t0)
			if t0.RefreshToken == "" {
				t.Fatal("refresh_token: got none; want one")
			}

			t1 := refresh(t, ctx, iss, tt.client, t0.RefreshToken)
			wantToken(t, t1)
			if t1.RefreshToken == "" || t1.RefreshToken == t0.RefreshToken {
				t.Fatalf("refresh_token after refresh: got %q (old %q); want a new one (rotation)", t1.RefreshToken, t0.RefreshToken)
			}
			if t1.AccessToken == t0.AccessToken {
				t.Errorf("access_token after refresh: got the old one; want a new one")
			}

			// Reuse of the rotated-out refresh token is detected ...
			wantError(t, refresh(t, ctx, iss, tt.client, t0.RefreshToken), 400, "invalid_grant")
			// ... and revokes the whole grant: the newest refresh token is dead too.
			wantError(t, refresh(t, ctx, iss, tt.client, t1.RefreshToken), 400, "invalid_grant")
		})
	}
}

func TestIntrospectionRevocation(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	ctx := testContext(t)
	ep := testenv.EndpointsFor(iss)
	tr := tokenRequest(t, ctx, iss, svcBasic, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}, "resource": {testenv.ResourceOpaque}})
	wantToken(t, tr)

	introspect := func() map[string]any {
		var m map[string]any
		if st := post(t, ctx, ep.Introspection, svcBasic, url.Values{"token": {tr.AccessToken}}, &m); st != http.StatusOK {
			t.Fatalf("introspection: got HTTP %d %v; want 200", st, m)
		}
		return m
	}
	m := introspect()
	wantClaim(t, m, "active", true)
	wantClaim(t, m, "client_id", testenv.SvcClientID)
	wantClaim(t, m, "aud", testenv.ResourceOpaque)
	wantClaim(t, m, "scope", "api:read")

	if st := post(t, ctx, ep.Revocation, svcBasic, url.Values{"token": {tr.AccessToken}}, nil); st != http.StatusOK {
		t.Fatalf("revocation: got HTTP %d; want 200", st)
	}
	wantClaim(t, introspect(), "active", false)
}
