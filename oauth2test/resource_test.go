package oauth2test

import (
	"net/http"
	"testing"
	"time"
)

func TestResource(t *testing.T) {
	s := NewServer(t, &Options{TokenLifetime: time.Minute})
	expiring := fetchToken(t, s, call{form: defaultCreds("grant_type", "client_credentials")}).str("access_token")
	s.Advance(time.Minute)
	valid := fetchToken(t, s, call{form: defaultCreds("grant_type", "client_credentials", "scope", "a b")}).str("access_token")

	tests := []struct {
		name          string
		authorization string
		wantStatus    int
		wantChallenge string
	}{
		{"valid", "Bearer " + valid, 200, ""},
		{"scheme case-insensitive", "bearer " + valid, 200, ""},
		{"missing", "", 401, `Bearer realm="oauth2test"`},
		{"other scheme", "Basic dXNlcjpwdw==", 401, `Bearer realm="oauth2test"`},
		{"unknown", "Bearer nope", 401, `Bearer realm="oauth2test", error="invalid_token", error_description="unknown access token"`},
		{"expired", "Bearer " + expiring, 401, `Bearer realm="oauth2test", error="invalid_token", error_description="access token expired"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.authorization != "" {
				h.Set("Authorization", tt.authorization)
			}
			r := do(t, s, call{method: http.MethodGet, path: "/resource", header: h})
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d (body %s); want %d", r.status, r.body, tt.wantStatus)
			}
			if got := r.header.Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q; want %q", got, tt.wantChallenge)
			}
			if tt.wantStatus == 200 {
				for k, want := range map[string]string{"sub": DefaultClientID, "client_id": DefaultClientID, "scope": "a b"} {
					if got := r.str(k); got != want {
						t.Errorf("%s = %q; want %q", k, got, want)
					}
				}
			}
		})
	}
	if got, want := s.ResourceRequests(), len(tests); got != want {
		t.Errorf("ResourceRequests() = %d; want %d", got, want)
	}
}

func TestResourceAcceptsAnyMethod(t *testing.T) {
	s := NewServer(t, nil)
	tok := fetchToken(t, s, call{form: defaultCreds("grant_type", "client_credentials")}).str("access_token")
	r := do(t, s, call{method: http.MethodPost, path: "/resource", raw: `{"x":1}`, contentType: "application/json",
		header: http.Header{"Authorization": {"Bearer " + tok}}})
	wantOK(t, r)
}
