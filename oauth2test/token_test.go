package oauth2test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestClientCredentialsGrant(t *testing.T) {
	s := NewServer(t, nil)
	r := fetchToken(t, s, call{form: defaultCreds("grant_type", "client_credentials", "scope", "read write read", "audience", "api://x")})
	if got, want := r.str("token_type"), "Bearer"; got != want {
		t.Errorf("token_type = %q; want %q", got, want)
	}
	if got, want := r.json["expires_in"], 3600.0; got != want {
		t.Errorf("expires_in = %v; want %v", got, want)
	}
	if got, want := r.str("scope"), "read write"; got != want {
		t.Errorf("scope = %q; want %q", got, want)
	}
	if _, ok := r.json["refresh_token"]; ok {
		t.Errorf("client_credentials response has a refresh_token: %s", r.body)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q; want %q", k, got, want)
		}
	}
	if got, want := s.LastTokenRequest().Params["audience"], "api://x"; got != want {
		t.Errorf("recorded audience = %q; want %q", got, want)
	}
	res := getResource(t, s, r.str("access_token"))
	wantOK(t, res)
	if got, want := res.str("sub"), DefaultClientID; got != want {
		t.Errorf("resource sub = %q; want %q", got, want)
	}
}

func TestScopes(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{{
		ID: "c", Secret: "s",
		Scopes:        []string{"officernd.api.read", "officernd.api.write", "openid"},
		DefaultScopes: []string{"officernd.api.read"},
	}}})
	tests := []struct {
		scope     string
		wantScope string
		wantErr   string
	}{
		{"", "officernd.api.read", ""},
		{"officernd.api.read officernd.api.write", "officernd.api.read officernd.api.write", ""},
		{"  officernd.api.write\tofficernd.api.write ", "officernd.api.write", ""},
		{"officernd.api.read admin", "", "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			r := do(t, s, call{form: form("grant_type", "client_credentials", "client_id", "c", "client_secret", "s", "scope", tt.scope)})
			if tt.wantErr != "" {
				wantError(t, r, http.StatusBadRequest, tt.wantErr)
				return
			}
			wantOK(t, r)
			if got := r.str("scope"); got != tt.wantScope {
				t.Errorf("scope = %q; want %q", got, tt.wantScope)
			}
		})
	}
}

func TestPasswordGrant(t *testing.T) {
	s := NewServer(t, &Options{
		Users:   map[string]string{"jsmith": "password123"},
		Clients: []Client{{ID: "c", Secret: "s", IssueRefreshToken: true}},
	})
	tests := []struct {
		name, user, pass string
		status           int
		code             string
	}{
		{"good", "jsmith", "password123", 200, ""},
		{"bad password", "jsmith", "nope", 400, "invalid_grant"},
		{"unknown user", "alice", DefaultPassword, 400, "invalid_grant"},
		{"missing username", "", "x", 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, call{json: map[string]any{
				"grant_type": "password", "client_id": "c", "client_secret": "s",
				"username": tt.user, "password": tt.pass,
			}})
			if tt.status != 200 {
				wantError(t, r, tt.status, tt.code)
				return
			}
			wantOK(t, r)
			if r.str("refresh_token") == "" {
				t.Errorf("no refresh_token in %s", r.body)
			}
			if got, want := getResource(t, s, r.str("access_token")).str("sub"), "jsmith"; got != want {
				t.Errorf("resource sub = %q; want %q", got, want)
			}
		})
	}
}

func TestTokenResponseFormat(t *testing.T) {
	tests := []struct {
		name          string
		client        Client
		wantTokenType string
		wantExpiresIn string // raw JSON; "" when omitted
	}{
		{"defaults", Client{}, "Bearer", "3600"},
		{"lowercase bearer", Client{TokenType: "bearer", TokenLifetime: 2 * time.Hour}, "bearer", "7200"},
		{"string", Client{ExpiresIn: ExpiresString}, "Bearer", `"3600"`},
		{"float", Client{ExpiresIn: ExpiresFloat}, "Bearer", "3600.0"},
		{"float fraction", Client{ExpiresIn: ExpiresFloat, TokenLifetime: 1500 * time.Millisecond}, "Bearer", "1.5"},
		{"omitted", Client{ExpiresIn: ExpiresOmitted}, "Bearer", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.client.ID, tt.client.Secret = "c", "s"
			s := NewServer(t, &Options{Clients: []Client{tt.client}})
			r := fetchToken(t, s, call{form: form("grant_type", "client_credentials", "client_id", "c", "client_secret", "s")})
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(r.body, &raw); err != nil {
				t.Fatal(err)
			}
			if got := r.str("token_type"); got != tt.wantTokenType {
				t.Errorf("token_type = %q; want %q", got, tt.wantTokenType)
			}
			if got := string(raw["expires_in"]); got != tt.wantExpiresIn {
				t.Errorf("expires_in = %s; want %s", got, tt.wantExpiresIn)
			}
		})
	}
}

func TestTokensAreDistinct(t *testing.T) {
	s := NewServer(t, nil)
	seen := map[string]bool{}
	for range 20 {
		tok := fetchToken(t, s, call{form: defaultCreds("grant_type", "client_credentials")}).str("access_token")
		if seen[tok] {
			t.Fatalf("access token %q issued twice", tok)
		}
		if len(tok) < 40 {
			t.Errorf("access token %q is shorter than 40 characters", tok)
		}
		seen[tok] = true
	}
	if got, want := s.IssuedAccessTokens(), 20; got != want {
		t.Errorf("IssuedAccessTokens() = %d; want %d", got, want)
	}
}

func TestGrantErrors(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{
		{ID: "cc", Secret: "s", Grants: []string{GrantClientCredentials}},
		{ID: "public", AuthStyle: AuthNone},
	}})
	tests := []struct {
		name   string
		form   []string
		status int
		code   string
	}{
		{"missing grant_type", []string{"client_id", "cc", "client_secret", "s"}, 400, "invalid_request"},
		{"unsupported grant", []string{"client_id", "cc", "client_secret", "s", "grant_type", "magic"}, 400, "unsupported_grant_type"},
		{"grant not allowed", []string{"client_id", "cc", "client_secret", "s", "grant_type", "password", "username", DefaultUsername, "password", DefaultPassword}, 400, "unauthorized_client"},
		{"public client_credentials", []string{"client_id", "public", "grant_type", "client_credentials"}, 400, "unauthorized_client"},
		{"missing refresh_token", []string{"client_id", "public", "grant_type", "refresh_token"}, 400, "invalid_request"},
		{"unknown refresh_token", []string{"client_id", "public", "grant_type", "refresh_token", "refresh_token", "x"}, 400, "invalid_grant"},
		{"missing code", []string{"client_id", "public", "grant_type", "authorization_code"}, 400, "invalid_request"},
		{"unknown code", []string{"client_id", "public", "grant_type", "authorization_code", "code", "x"}, 400, "invalid_grant"},
		{"missing device_code", []string{"client_id", "public", "grant_type", GrantDeviceCode}, 400, "invalid_request"},
		{"unknown device_code", []string{"client_id", "public", "grant_type", GrantDeviceCode, "device_code", "x"}, 400, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, call{form: form(tt.form...)})
			wantError(t, r, tt.status, tt.code)
			if got, want := r.header.Get("Cache-Control"), "no-store"; got != want {
				t.Errorf("Cache-Control = %q; want %q", got, want)
			}
		})
	}
}

// passwordToken runs the password grant for the default user with client c.
func passwordToken(t *testing.T, s *Server, id, secret string, kv ...string) reply {
	t.Helper()
	return fetchToken(t, s, call{form: form(append([]string{
		"grant_type", "password", "client_id", id, "client_secret", secret,
		"username", DefaultUsername, "password", DefaultPassword,
	}, kv...)...)})
}

func refresh(t *testing.T, s *Server, id, secret, rt string, kv ...string) reply {
	t.Helper()
	return do(t, s, call{form: form(append([]string{
		"grant_type", "refresh_token", "client_id", id, "client_secret", secret, "refresh_token", rt,
	}, kv...)...)})
}

func TestRefreshWithoutRotation(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{{ID: "c", Secret: "s", IssueRefreshToken: true}}})
	first := passwordToken(t, s, "c", "s", "scope", "a b")
	rt := first.str("refresh_token")
	for i := range 3 {
		r := refresh(t, s, "c", "s", rt)
		wantOK(t, r)
		if _, ok := r.json["refresh_token"]; ok {
			t.Errorf("refresh %d: response re-sends refresh_token; want it omitted", i)
		}
		if got, want := r.str("scope"), "a b"; got != want {
			t.Errorf("refresh %d: scope = %q; want %q", i, got, want)
		}
	}
	narrowed := refresh(t, s, "c", "s", rt, "scope", "a")
	wantOK(t, narrowed)
	if got, want := narrowed.str("scope"), "a"; got != want {
		t.Errorf("narrowed scope = %q; want %q", got, want)
	}
	wantError(t, refresh(t, s, "c", "s", rt, "scope", "a c"), 400, "invalid_scope")
	if got, want := s.GrantRequests(GrantRefreshToken), 5; got != want {
		t.Errorf("GrantRequests(refresh_token) = %d; want %d", got, want)
	}
}

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{{ID: "c", Secret: "s", IssueRefreshToken: true, RotateRefreshTokens: true}}})
	first := passwordToken(t, s, "c", "s")
	rt1 := first.str("refresh_token")

	second := refresh(t, s, "c", "s", rt1)
	wantOK(t, second)
	rt2 := second.str("refresh_token")
	if rt2 == "" || rt2 == rt1 {
		t.Fatalf("rotated refresh_token = %q; want a new one (old %q)", rt2, rt1)
	}
	third := refresh(t, s, "c", "s", rt2)
	wantOK(t, third)
	rt3 := third.str("refresh_token")

	// Reusing rt1 is theft: the whole family dies.
	wantError(t, refresh(t, s, "c", "s", rt1), 400, "invalid_grant")
	wantError(t, refresh(t, s, "c", "s", rt3), 400, "invalid_grant")
	if got := getResource(t, s, third.str("access_token")).status; got != http.StatusUnauthorized {
		t.Errorf("resource with family access token after reuse: status = %d; want 401", got)
	}

	// Another grant's family is unaffected.
	other := passwordToken(t, s, "c", "s")
	wantOK(t, refresh(t, s, "c", "s", other.str("refresh_token")))
}

func TestRefreshTokenBoundToClient(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{
		{ID: "a", Secret: "s", IssueRefreshToken: true},
		{ID: "b", Secret: "s", IssueRefreshToken: true},
	}})
	rt := passwordToken(t, s, "a", "s").str("refresh_token")
	wantError(t, refresh(t, s, "b", "s", rt), 400, "invalid_grant")
}

func TestRefreshTokenLifetime(t *testing.T) {
	s := NewServer(t, &Options{
		RefreshTokenLifetime: 24 * time.Hour,
		Clients:              []Client{{ID: "c", Secret: "s", IssueRefreshToken: true}},
	})
	rt := passwordToken(t, s, "c", "s").str("refresh_token")
	s.Advance(23 * time.Hour)
	wantOK(t, refresh(t, s, "c", "s", rt))
	s.Advance(time.Hour)
	wantError(t, refresh(t, s, "c", "s", rt), 400, "invalid_grant")
}

func TestRevokeAll(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{{ID: "c", Secret: "s", IssueRefreshToken: true}}})
	r := passwordToken(t, s, "c", "s")
	wantOK(t, getResource(t, s, r.str("access_token")))
	s.RevokeAll()
	if got := getResource(t, s, r.str("access_token")).status; got != http.StatusUnauthorized {
		t.Errorf("resource after RevokeAll: status = %d; want 401", got)
	}
	wantError(t, refresh(t, s, "c", "s", r.str("refresh_token")), 400, "invalid_grant")
	// New tokens work again.
	wantOK(t, getResource(t, s, passwordToken(t, s, "c", "s").str("access_token")))
}

// jwtClaims decodes the payload of a JWT without verifying it.
func jwtClaims(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts; want 3", token, len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("part %d of %q: %v", i, token, err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatalf("part %d of %q: %v", i, token, err)
		}
	}
	return header, claims
}

func TestJWTAccessTokens(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s := NewServer(t, &Options{
		Clock:   func() time.Time { return now },
		Clients: []Client{{ID: "c", Secret: "s", JWTAccessTokens: true, ExpiresIn: ExpiresOmitted, TokenLifetime: 10 * time.Minute}},
	})
	r := fetchToken(t, s, call{form: form("grant_type", "client_credentials", "client_id", "c", "client_secret", "s", "scope", "x y")})
	if _, ok := r.json["expires_in"]; ok {
		t.Errorf("expires_in present in %s; want omitted", r.body)
	}
	header, claims := jwtClaims(t, r.str("access_token"))
	if got, want := header["alg"], "HS256"; got != want {
		t.Errorf("alg = %v; want %v", got, want)
	}
	for k, want := range map[string]any{
		"exp": float64(now.Add(10 * time.Minute).Unix()), "iat": float64(now.Unix()),
		"sub": "c", "client_id": "c", "scope": "x y", "iss": s.URL,
	} {
		if got := claims[k]; got != want {
			t.Errorf("claim %s = %v; want %v", k, got, want)
		}
	}
	wantOK(t, getResource(t, s, r.str("access_token")))
}

func TestIDToken(t *testing.T) {
	s := NewServer(t, nil)
	r := passwordToken(t, s, DefaultClientID, DefaultClientSecret, "scope", "openid profile")
	idt := r.str("id_token")
	if idt == "" {
		t.Fatalf("no id_token in %s", r.body)
	}
	_, claims := jwtClaims(t, idt)
	for k, want := range map[string]any{"iss": s.URL, "sub": DefaultUsername, "aud": DefaultClientID} {
		if got := claims[k]; got != want {
			t.Errorf("claim %s = %v; want %v", k, got, want)
		}
	}
	for _, k := range []string{"exp", "iat"} {
		if _, ok := claims[k].(float64); !ok {
			t.Errorf("claim %s = %v; want a number", k, claims[k])
		}
	}
	if r := passwordToken(t, s, DefaultClientID, DefaultClientSecret, "scope", "profile"); r.str("id_token") != "" {
		t.Errorf("id_token issued without openid scope")
	}
}
