package oauth2test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestURLs(t *testing.T) {
	s := NewServer(t, nil)
	if u, err := url.Parse(s.URL); err != nil || u.Hostname() != "127.0.0.1" || u.Path != "" {
		t.Errorf("URL = %q; want http://127.0.0.1:port", s.URL)
	}
	tests := []struct{ got, want string }{
		{s.TokenURL(), s.URL + "/token"},
		{s.AuthURL(), s.URL + "/authorize"},
		{s.DeviceAuthURL(), s.URL + "/device_authorization"},
		{s.ResourceURL(), s.URL + "/resource"},
		{s.RevocationURL(), s.URL + "/revoke"},
		{s.VerificationURL(), s.URL + "/device"},
		{s.Endpoint().TokenURL, s.TokenURL()},
		{s.Endpoint().AuthURL, s.AuthURL()},
		{s.Endpoint().DeviceAuthURL, s.DeviceAuthURL()},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
	if got := s.Endpoint().AuthStyle; got != 0 {
		t.Errorf("Endpoint().AuthStyle = %v; want 0 (auto-detect)", got)
	}
}

func TestMetadata(t *testing.T) {
	s := NewServer(t, nil)
	for _, path := range []string{MetadataPath, OIDCMetadataPath} {
		t.Run(path, func(t *testing.T) {
			r := do(t, s, call{method: http.MethodGet, path: path})
			wantOK(t, r)
			for k, want := range map[string]string{
				"issuer":                        s.URL,
				"authorization_endpoint":        s.AuthURL(),
				"token_endpoint":                s.TokenURL(),
				"device_authorization_endpoint": s.DeviceAuthURL(),
				"revocation_endpoint":           s.RevocationURL(),
			} {
				if got := r.str(k); got != want {
					t.Errorf("%s = %q; want %q", k, got, want)
				}
			}
			lists := map[string][]string{
				"grant_types_supported":                 {"authorization_code", "password", "client_credentials", "refresh_token", GrantDeviceCode},
				"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "none"},
				"code_challenge_methods_supported":      {"S256", "plain"},
			}
			for k, want := range lists {
				got, _ := r.json[k].([]any)
				for _, w := range want {
					found := false
					for _, g := range got {
						found = found || g == w
					}
					if !found {
						t.Errorf("%s = %v; want it to contain %q", k, got, w)
					}
				}
			}
		})
	}
	if r := do(t, s, call{method: http.MethodPost, path: MetadataPath}); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST metadata: status = %d; want 405", r.status)
	}
}

func TestCounters(t *testing.T) {
	s := NewServer(t, nil)
	if got := s.LastTokenRequest(); got != nil {
		t.Errorf("LastTokenRequest() = %+v before any request; want nil", got)
	}
	fetchToken(t, s, call{form: defaultCreds("grant_type", "client_credentials")})
	fetchToken(t, s, call{form: form("grant_type", "password", "username", DefaultUsername, "password", DefaultPassword),
		useBasic: true, basicUser: DefaultClientID, basicPass: DefaultClientSecret})
	wantError(t, do(t, s, call{form: defaultCreds("grant_type", "password")}), 400, "invalid_request")
	do(t, s, call{json: map[string]any{"grant_type": "client_credentials", "client_id": DefaultClientID, "client_secret": DefaultClientSecret, "resource": "https://api.example"}})

	tests := []struct {
		name      string
		got, want int
	}{
		{"TokenRequests", s.TokenRequests(), 4},
		{"GrantRequests(client_credentials)", s.GrantRequests(GrantClientCredentials), 2},
		{"GrantRequests(password)", s.GrantRequests(GrantPassword), 2},
		{"GrantRequests(refresh_token)", s.GrantRequests(GrantRefreshToken), 0},
		{"IssuedAccessTokens", s.IssuedAccessTokens(), 3},
		{"ResourceRequests", s.ResourceRequests(), 0},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %d; want %d", tt.name, tt.got, tt.want)
		}
	}

	last := s.LastTokenRequest()
	if last.Method != http.MethodPost || last.ContentType != "application/json" || last.UsedBasic {
		t.Errorf("LastTokenRequest() = %s %q basic=%v; want POST \"application/json\" basic=false", last.Method, last.ContentType, last.UsedBasic)
	}
	if got, want := last.Params["resource"], "https://api.example"; got != want {
		t.Errorf("Params[resource] = %q; want %q", got, want)
	}
	if !strings.Contains(string(last.Body), `"resource":"https://api.example"`) {
		t.Errorf("Body = %s; want the JSON sent", last.Body)
	}
	// The result is a copy.
	last.Params["resource"] = "changed"
	last.Header.Set("X-Changed", "1")
	if again := s.LastTokenRequest(); again.Params["resource"] != "https://api.example" || again.Header.Get("X-Changed") != "" {
		t.Errorf("modifying the result of LastTokenRequest changed the server's record")
	}
}

func TestLastTokenRequestBasic(t *testing.T) {
	s := NewServer(t, nil)
	fetchToken(t, s, call{form: form("grant_type", "client_credentials"), useBasic: true, basicUser: DefaultClientID, basicPass: DefaultClientSecret})
	last := s.LastTokenRequest()
	if !last.UsedBasic || last.BasicUser != DefaultClientID || last.BasicPassword != DefaultClientSecret {
		t.Errorf("LastTokenRequest() basic = %v %q %q; want true %q %q", last.UsedBasic, last.BasicUser, last.BasicPassword, DefaultClientID, DefaultClientSecret)
	}
	if got, want := last.Header.Get("Content-Type"), "application/x-www-form-urlencoded"; got != want {
		t.Errorf("Header Content-Type = %q; want %q", got, want)
	}
}

func TestInvalidOptions(t *testing.T) {
	tests := []struct {
		name    string
		clients []Client
		wantErr string
	}{
		{"empty ID", []Client{{}}, "empty ID"},
		{"duplicate", []Client{{ID: "a"}, {ID: "a"}}, "duplicate"},
		{"bad auth style", []Client{{ID: "a", AuthStyle: 42}}, "AuthStyle(42)"},
		{"bad body format", []Client{{ID: "a", BodyFormat: -1}}, "BodyFormat(-1)"},
		{"bad expires_in format", []Client{{ID: "a", ExpiresIn: 9}}, "ExpiresInFormat(9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newServer(&Options{Clients: tt.clients})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("newServer: got error %v; want one containing %q", err, tt.wantErr)
			}
		})
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("NewServer(nil, invalid options) did not panic")
			}
		}()
		NewServer(nil, &Options{Clients: []Client{{}}})
	}()
}

func TestClock(t *testing.T) {
	base := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	s := NewServer(t, &Options{Clock: func() time.Time { return base }})
	if got := s.Now(); !got.Equal(base) {
		t.Errorf("Now() = %v; want %v", got, base)
	}
	s.Advance(90 * time.Minute)
	s.Advance(-30 * time.Minute)
	if got, want := s.Now(), base.Add(time.Hour); !got.Equal(want) {
		t.Errorf("Now() after Advance = %v; want %v", got, want)
	}

	real := NewServer(t, nil)
	before := time.Now()
	real.Advance(time.Hour)
	if got := real.Now(); got.Before(before.Add(time.Hour)) || got.After(time.Now().Add(time.Hour+time.Minute)) {
		t.Errorf("Now() = %v; want about an hour from %v", got, before)
	}
}

func TestExpiryFollowsServerClock(t *testing.T) {
	s := NewServer(t, &Options{TokenLifetime: 30 * time.Second})
	tok := fetchToken(t, s, call{form: defaultCreds("grant_type", "client_credentials")}).str("access_token")
	s.Advance(29 * time.Second)
	wantOK(t, getResource(t, s, tok))
	s.Advance(time.Second)
	if got := getResource(t, s, tok).status; got != http.StatusUnauthorized {
		t.Errorf("status after expiry = %d; want 401", got)
	}
}
