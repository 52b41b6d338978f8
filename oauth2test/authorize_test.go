package oauth2test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const testRedirect = "https://app.example/callback"

// authURL builds an authorization URL for s from alternating keys and values.
func authURL(s *Server, kv ...string) string {
	return s.AuthURL() + "?" + form(kv...).Encode()
}

func codeExchange(t *testing.T, s *Server, kv ...string) reply {
	t.Helper()
	return do(t, s, call{form: defaultCreds(append([]string{"grant_type", "authorization_code"}, kv...)...)})
}

func TestAuthorizeCodeFlow(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{{
		ID: DefaultClientID, Secret: DefaultClientSecret,
		RedirectURIs: []string{testRedirect}, IssueRefreshToken: true,
	}}})
	u, err := s.Authorize(authURL(s, "client_id", DefaultClientID, "redirect_uri", testRedirect,
		"response_type", "code", "state", "xyz", "scope", "openid email"), DefaultUsername, DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, testRedirect; got != want {
		t.Errorf("redirect = %q; want %q", got, want)
	}
	q := u.Query()
	if got, want := q.Get("state"), "xyz"; got != want {
		t.Errorf("state = %q; want %q", got, want)
	}
	code := q.Get("code")
	if code == "" {
		t.Fatalf("no code in %s", u)
	}
	wantError(t, codeExchange(t, s, "code", code, "redirect_uri", "https://evil.example/"), 400, "invalid_grant")
	wantError(t, codeExchange(t, s, "code", code), 400, "invalid_grant")
	r := codeExchange(t, s, "code", code, "redirect_uri", testRedirect)
	wantOK(t, r)
	if r.str("refresh_token") == "" || r.str("id_token") == "" {
		t.Errorf("want refresh_token and id_token in %s", r.body)
	}
	if got, want := r.str("scope"), "openid email"; got != want {
		t.Errorf("scope = %q; want %q", got, want)
	}
	if got, want := getResource(t, s, r.str("access_token")).str("sub"), DefaultUsername; got != want {
		t.Errorf("resource sub = %q; want %q", got, want)
	}

	// Reuse fails and revokes what the code produced.
	wantError(t, codeExchange(t, s, "code", code, "redirect_uri", testRedirect), 400, "invalid_grant")
	if got := getResource(t, s, r.str("access_token")).status; got != http.StatusUnauthorized {
		t.Errorf("resource after code reuse: status = %d; want 401", got)
	}
	wantError(t, refresh(t, s, DefaultClientID, DefaultClientSecret, r.str("refresh_token")), 400, "invalid_grant")
}

func TestAuthorizeCodeWithoutRedirectURI(t *testing.T) {
	// With one registered redirect URI, the request may omit it, and then the
	// token request need not send it either.
	s := NewServer(t, &Options{Clients: []Client{{ID: DefaultClientID, Secret: DefaultClientSecret, RedirectURIs: []string{testRedirect}}}})
	u, err := s.Authorize(authURL(s, "client_id", DefaultClientID, "response_type", "code"), DefaultUsername, DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.String(), testRedirect+"?") {
		t.Errorf("redirect = %q; want prefix %q", u, testRedirect+"?")
	}
	wantOK(t, codeExchange(t, s, "code", u.Query().Get("code")))
}

func TestAuthorizeCodeExpiry(t *testing.T) {
	s := NewServer(t, nil)
	u, err := s.Authorize(authURL(s, "client_id", DefaultClientID, "redirect_uri", testRedirect, "response_type", "code"), DefaultUsername, DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	s.Advance(CodeLifetime)
	wantError(t, codeExchange(t, s, "code", u.Query().Get("code"), "redirect_uri", testRedirect), 400, "invalid_grant")
}

func TestAuthorizeCodeBoundToClient(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{{ID: "a", Secret: "s"}, {ID: "b", Secret: "s"}}})
	u, err := s.Authorize(authURL(s, "client_id", "a", "redirect_uri", testRedirect, "response_type", "code"), DefaultUsername, DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, s, call{form: form("grant_type", "authorization_code", "client_id", "b", "client_secret", "s",
		"code", u.Query().Get("code"), "redirect_uri", testRedirect)})
	wantError(t, r, 400, "invalid_grant")
}

func TestPKCE(t *testing.T) {
	verifier := strings.Repeat("v", 43) + "-._~AZaz09"
	sum := sha256.Sum256([]byte(verifier))
	s256 := base64.RawURLEncoding.EncodeToString(sum[:])
	tests := []struct {
		name              string
		challenge, method string
		verifier          string
		wantErr           string
	}{
		{"S256", s256, "S256", verifier, ""},
		{"plain explicit", verifier, "plain", verifier, ""},
		{"plain by default", verifier, "", verifier, ""},
		{"S256 wrong verifier", s256, "S256", strings.Repeat("w", 43), "invalid_grant"},
		{"S256 sent as plain", s256, "S256", s256 + "x", "invalid_grant"},
		{"missing verifier", s256, "S256", "", "invalid_grant"},
		{"short verifier", s256, "S256", "abc", "invalid_grant"},
		{"verifier without challenge", "", "", verifier, "invalid_grant"},
		{"no PKCE", "", "", "", ""},
	}
	s := NewServer(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.Authorize(authURL(s, "client_id", DefaultClientID, "redirect_uri", testRedirect, "response_type", "code",
				"code_challenge", tt.challenge, "code_challenge_method", tt.method), DefaultUsername, DefaultPassword)
			if err != nil {
				t.Fatal(err)
			}
			code := u.Query().Get("code")
			if code == "" {
				t.Fatalf("no code in %s", u)
			}
			r := codeExchange(t, s, "code", code, "redirect_uri", testRedirect, "code_verifier", tt.verifier)
			if tt.wantErr != "" {
				wantError(t, r, 400, tt.wantErr)
				return
			}
			wantOK(t, r)
		})
	}
}

func TestAuthorizeImplicit(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{
		{ID: "spa", AuthStyle: AuthNone, Grants: []string{GrantImplicit}, IssueRefreshToken: true, TokenType: "bearer"},
		{ID: "web", Secret: "s", Grants: []string{GrantAuthorizationCode}},
	}})
	u, err := s.Authorize(authURL(s, "client_id", "spa", "redirect_uri", testRedirect, "response_type", "token", "state", "st", "scope", "read"), DefaultUsername, DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	if u.RawQuery != "" {
		t.Errorf("implicit redirect has a query %q; want the token in the fragment only", u.RawQuery)
	}
	frag, err := url.ParseQuery(u.Fragment)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"token_type": "bearer", "expires_in": "3600", "scope": "read", "state": "st"} {
		if got := frag.Get(k); got != want {
			t.Errorf("fragment %s = %q; want %q", k, got, want)
		}
	}
	if frag.Has("refresh_token") {
		t.Errorf("implicit fragment has a refresh_token")
	}
	wantOK(t, getResource(t, s, frag.Get("access_token")))

	// A client without "implicit" gets an error redirect.
	u, err = s.Authorize(authURL(s, "client_id", "web", "redirect_uri", testRedirect, "response_type", "token", "state", "st"), DefaultUsername, DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	frag, _ = url.ParseQuery(u.Fragment)
	if got, want := frag.Get("error"), "unauthorized_client"; got != want {
		t.Errorf("error = %q; want %q", got, want)
	}
}

func TestAuthorizeErrorRedirects(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{
		{ID: "c", Secret: "s", Scopes: []string{"read"}, RequirePKCE: true},
	}})
	tests := []struct {
		name    string
		params  []string
		wantErr string
	}{
		{"missing response_type", []string{}, "invalid_request"},
		{"unsupported response_type", []string{"response_type", "code id_token"}, "unsupported_response_type"},
		{"invalid scope", []string{"response_type", "code", "scope", "write", "code_challenge", strings.Repeat("a", 43)}, "invalid_scope"},
		{"PKCE required", []string{"response_type", "code"}, "invalid_request"},
		{"bad challenge method", []string{"response_type", "code", "code_challenge", strings.Repeat("a", 43), "code_challenge_method", "S512"}, "invalid_request"},
		{"malformed challenge", []string{"response_type", "code", "code_challenge", "short"}, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := append([]string{"client_id", "c", "redirect_uri", testRedirect, "state", "s1"}, tt.params...)
			u, err := s.Authorize(authURL(s, p...), DefaultUsername, DefaultPassword)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if got := q.Get("error"); got != tt.wantErr {
				t.Errorf("error = %q; want %q (redirect %s)", got, tt.wantErr, u)
			}
			if got, want := q.Get("state"), "s1"; got != want {
				t.Errorf("state = %q; want %q", got, want)
			}
		})
	}
}

func TestAuthorizeErrorPages(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{{ID: "c", Secret: "s", RedirectURIs: []string{testRedirect, testRedirect + "2"}}}})
	tests := []struct {
		name, url, username, password string
		wantMsg                       string
	}{
		{"unknown client", authURL(s, "client_id", "x", "redirect_uri", testRedirect, "response_type", "code"), DefaultUsername, DefaultPassword, "unknown or missing client_id"},
		{"unregistered redirect", authURL(s, "client_id", "c", "redirect_uri", "https://evil.example/", "response_type", "code"), DefaultUsername, DefaultPassword, "not registered"},
		{"ambiguous redirect", authURL(s, "client_id", "c", "response_type", "code"), DefaultUsername, DefaultPassword, "missing redirect_uri"},
		{"wrong password", authURL(s, "client_id", "c", "redirect_uri", testRedirect, "response_type", "code"), DefaultUsername, "nope", "Invalid username or password"},
		{"unknown user", authURL(s, "client_id", "c", "redirect_uri", testRedirect, "response_type", "code"), "mallory", DefaultPassword, "Invalid username or password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.Authorize(tt.url, tt.username, tt.password)
			if err == nil {
				t.Fatalf("Authorize returned %s; want an error", u)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
	// Unredirectable errors are 400 pages.
	r := do(t, s, call{method: http.MethodGet, path: "/authorize?client_id=x&response_type=code"})
	if r.status != http.StatusBadRequest || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("unknown client page: status %d, Content-Type %q; want 400 text/html", r.status, r.header.Get("Content-Type"))
	}
}

func TestAuthorizeLoginForm(t *testing.T) {
	s := NewServer(t, nil)
	target := authURL(s, "client_id", DefaultClientID, "redirect_uri", testRedirect, "response_type", "code",
		"state", `"><script>x</script>`, "scope", "read", "prompt", "consent")
	r := do(t, s, call{method: http.MethodGet, path: strings.TrimPrefix(target, s.URL)})
	wantOK(t, r)
	page := string(r.body)
	for _, want := range []string{
		`<form id="login" method="post" action="/authorize">`,
		`name="username"`, `name="password"`, `id="submit"`, `id="deny"`,
		`type="hidden" name="prompt" value="consent"`,
		`type="hidden" name="redirect_uri" value="https://app.example/callback"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("login page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Errorf("login page does not escape the state:\n%s", page)
	}

	// Pressing "Deny" redirects with access_denied.
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f := form("client_id", DefaultClientID, "redirect_uri", testRedirect, "response_type", "code", "state", "st", "action", "deny")
	resp, err := hc.PostForm(s.AuthURL(), f)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("deny: status %d, no Location: %v", resp.StatusCode, err)
	}
	if got, want := loc.Query().Get("error"), "access_denied"; got != want {
		t.Errorf("deny: error = %q; want %q", got, want)
	}
	if got, want := loc.Query().Get("state"), "st"; got != want {
		t.Errorf("deny: state = %q; want %q", got, want)
	}
}

func TestAutoApprove(t *testing.T) {
	s := NewServer(t, &Options{AutoApproveUser: "bob", Users: map[string]string{}})
	// The password is not checked: no form is shown.
	u, err := s.Authorize(authURL(s, "client_id", DefaultClientID, "redirect_uri", testRedirect, "response_type", "code"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	r := codeExchange(t, s, "code", u.Query().Get("code"), "redirect_uri", testRedirect)
	wantOK(t, r)
	if got, want := getResource(t, s, r.str("access_token")).str("sub"), "bob"; got != want {
		t.Errorf("sub = %q; want %q", got, want)
	}
}

func TestAuthorizeBadURL(t *testing.T) {
	s := NewServer(t, nil)
	for _, u := range []string{"://bad", "http://127.0.0.1:1/authorize"} {
		if _, err := s.Authorize(u, DefaultUsername, DefaultPassword); err == nil {
			t.Errorf("Authorize(%q) succeeded; want an error", u)
		}
	}
}
