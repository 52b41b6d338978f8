package oauth2test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startDevice runs a device authorization for the default client.
func startDevice(t *testing.T, s *Server, kv ...string) reply {
	t.Helper()
	r := do(t, s, call{path: "/device_authorization", form: defaultCreds(kv...)})
	wantOK(t, r)
	return r
}

func pollDevice(t *testing.T, s *Server, deviceCode string) reply {
	t.Helper()
	return do(t, s, call{form: defaultCreds("grant_type", GrantDeviceCode, "device_code", deviceCode)})
}

func TestDeviceAuthorizationResponse(t *testing.T) {
	s := NewServer(t, nil)
	r := startDevice(t, s, "scope", "read")
	userCode := r.str("user_code")
	if !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`).MatchString(userCode) {
		t.Errorf("user_code = %q; want XXXX-XXXX of consonants", userCode)
	}
	for k, want := range map[string]any{
		"verification_uri":          s.VerificationURL(),
		"verification_uri_complete": s.VerificationURL() + "?user_code=" + url.QueryEscape(userCode),
		"expires_in":                600.0,
		"interval":                  5.0,
	} {
		if got := r.json[k]; got != want {
			t.Errorf("%s = %v; want %v", k, got, want)
		}
	}
	if r.str("device_code") == "" {
		t.Errorf("no device_code in %s", r.body)
	}
}

func TestDeviceFlow(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{{ID: DefaultClientID, Secret: DefaultClientSecret, IssueRefreshToken: true}}})
	d := startDevice(t, s, "scope", "read")
	dc := d.str("device_code")

	wantError(t, pollDevice(t, s, dc), 400, "authorization_pending")
	s.Advance(time.Second)
	wantError(t, pollDevice(t, s, dc), 400, "slow_down")
	// The interval is now 10s.
	s.Advance(6 * time.Second)
	wantError(t, pollDevice(t, s, dc), 400, "slow_down")
	s.Advance(15 * time.Second)
	wantError(t, pollDevice(t, s, dc), 400, "authorization_pending")

	// User codes match ignoring case and dashes.
	if err := s.ApproveDevice(strings.ToLower(strings.ReplaceAll(d.str("user_code"), "-", "")), "bob"); err != nil {
		t.Fatal(err)
	}
	s.Advance(15 * time.Second)
	r := pollDevice(t, s, dc)
	wantOK(t, r)
	if r.str("refresh_token") == "" {
		t.Errorf("no refresh_token in %s", r.body)
	}
	if got, want := r.str("scope"), "read"; got != want {
		t.Errorf("scope = %q; want %q", got, want)
	}
	if got, want := getResource(t, s, r.str("access_token")).str("sub"), "bob"; got != want {
		t.Errorf("sub = %q; want %q", got, want)
	}
	s.Advance(15 * time.Second)
	wantError(t, pollDevice(t, s, dc), 400, "invalid_grant")
	if got, want := s.GrantRequests(GrantDeviceCode), 6; got != want {
		t.Errorf("GrantRequests(device_code) = %d; want %d", got, want)
	}
}

func TestDeviceDenyAndExpire(t *testing.T) {
	s := NewServer(t, &Options{DeviceCodeLifetime: time.Minute})
	denied := startDevice(t, s)
	if err := s.DenyDevice(denied.str("user_code")); err != nil {
		t.Fatal(err)
	}
	wantError(t, pollDevice(t, s, denied.str("device_code")), 400, "access_denied")
	if err := s.ApproveDevice(denied.str("user_code"), "bob"); err == nil {
		t.Errorf("ApproveDevice after DenyDevice succeeded; want an error")
	}

	expiring := startDevice(t, s)
	s.Advance(time.Minute)
	wantError(t, pollDevice(t, s, expiring.str("device_code")), 400, "expired_token")
	if err := s.ApproveDevice(expiring.str("user_code"), "bob"); err == nil {
		t.Errorf("ApproveDevice after expiry succeeded; want an error")
	}
	if err := s.ApproveDevice("BBBB-BBBB", "bob"); err == nil {
		t.Errorf("ApproveDevice with an unknown code succeeded; want an error")
	}
	if err := s.ApproveDevice(startDevice(t, s).str("user_code"), ""); err == nil {
		t.Errorf("ApproveDevice with an empty username succeeded; want an error")
	}
}

func TestDeviceCodeBoundToClient(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{
		{ID: DefaultClientID, Secret: DefaultClientSecret},
		{ID: "other", Secret: "s"},
		{ID: "nodevice", Secret: "s", Grants: []string{GrantClientCredentials}},
	}})
	d := startDevice(t, s)
	r := do(t, s, call{form: form("client_id", "other", "client_secret", "s", "grant_type", GrantDeviceCode, "device_code", d.str("device_code"))})
	wantError(t, r, 400, "invalid_grant")
	r = do(t, s, call{path: "/device_authorization", form: form("client_id", "nodevice", "client_secret", "s")})
	wantError(t, r, 400, "unauthorized_client")
	r = do(t, s, call{path: "/device_authorization", form: form("client_id", "other", "client_secret", "wrong")})
	wantError(t, r, 401, "invalid_client")
	r = do(t, s, call{path: "/device_authorization", method: http.MethodGet})
	wantError(t, r, 405, "invalid_request")
}

func TestDeviceIntervalOmitted(t *testing.T) {
	s := NewServer(t, &Options{DeviceInterval: -1})
	d := startDevice(t, s)
	if _, ok := d.json["interval"]; ok {
		t.Errorf("interval present in %s; want omitted", d.body)
	}
	dc := d.str("device_code")
	wantError(t, pollDevice(t, s, dc), 400, "authorization_pending")
	s.Advance(4 * time.Second)
	wantError(t, pollDevice(t, s, dc), 400, "slow_down")
}

func TestDevicePage(t *testing.T) {
	s := NewServer(t, nil)
	approved := startDevice(t, s)
	denied := startDevice(t, s)

	page := do(t, s, call{method: http.MethodGet, path: "/device?user_code=" + url.QueryEscape(approved.str("user_code"))})
	wantOK(t, page)
	for _, want := range []string{`id="device"`, `name="user_code" value="` + approved.str("user_code") + `"`, `name="username"`, `name="password"`, `id="submit"`, `id="deny"`} {
		if !strings.Contains(string(page.body), want) {
			t.Errorf("device page lacks %s", want)
		}
	}

	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantText   string
	}{
		{"bad password", form("user_code", approved.str("user_code"), "username", DefaultUsername, "password", "x", "action", "approve"), 200, "Invalid username or password"},
		{"unknown code", form("user_code", "ZZZZ-ZZZZ", "username", DefaultUsername, "password", DefaultPassword, "action", "approve"), 400, "unknown user code"},
		{"approve", form("user_code", approved.str("user_code"), "username", DefaultUsername, "password", DefaultPassword, "action", "approve"), 200, "Device connected"},
		{"approve twice", form("user_code", approved.str("user_code"), "username", DefaultUsername, "password", DefaultPassword, "action", "approve"), 400, "already approved or denied"},
		{"deny", form("user_code", denied.str("user_code"), "action", "deny"), 200, "Access denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, call{path: "/device", form: tt.form})
			if r.status != tt.wantStatus || !strings.Contains(string(r.body), tt.wantText) {
				t.Errorf("got status %d, body %s; want %d containing %q", r.status, r.body, tt.wantStatus, tt.wantText)
			}
		})
	}
	wantOK(t, pollDevice(t, s, approved.str("device_code")))
	wantError(t, pollDevice(t, s, denied.str("device_code")), 400, "access_denied")
}
