package tokensource

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// Transport attaches the token only to the first request's origin, and
// never over plain http except to loopback.
func TestTransportRefusesOtherOrigins(t *testing.T) {
	tests := []struct {
		name   string
		urls   []string
		wantOK []bool
	}{
		{"same origin", []string{"https://api.example/a", "https://API.example:443/b"}, []bool{true, true}},
		{"other host", []string{"https://api.example/", "https://evil.example/"}, []bool{true, false}},
		{"other port", []string{"https://api.example/", "https://api.example:8443/"}, []bool{true, false}},
		{"https to http", []string{"https://api.example/", "http://api.example/"}, []bool{true, false}},
		{"plain http", []string{"http://api.example/"}, []bool{false}},
		{"http loopback", []string{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/x"}, []bool{true, true}},
		{"http localhost", []string{"http://localhost/"}, []bool{true}},
		{"http ::1", []string{"http://[::1]:9/"}, []bool{true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent []string
			tr := &Transport{Source: FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "secret-at"})),
				Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					sent = append(sent, r.Header.Get("Authorization"))
					return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
				})}
			for i, u := range tt.urls {
				req, _ := http.NewRequest("GET", u, nil)
				resp, err := tr.RoundTrip(req)
				if got := err == nil; got != tt.wantOK[i] {
					t.Fatalf("%s: got error %v; want ok %v", u, err, tt.wantOK[i])
				}
				if err != nil {
					if !errors.Is(err, ErrRefusedOrigin) || strings.Contains(err.Error(), "secret-at") {
						t.Errorf("%s: error %v; want ErrRefusedOrigin without the token", u, err)
					}
					continue
				}
				resp.Body.Close()
			}
			for _, h := range sent {
				if h != "Bearer secret-at" {
					t.Errorf("sent Authorization %q", h)
				}
			}
		})
	}
}

// NewClient follows redirects within the origin and refuses the others
// before any token reaches them.
func TestNewClientRedirects(t *testing.T) {
	var foreignAuth []string
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignAuth = append(foreignAuth, r.Header.Get("Authorization"))
	}))
	defer foreign.Close()
	var mux http.ServeMux
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, foreign.URL+"/x", http.StatusFound) })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Header.Get("Authorization")) })
	srv := httptest.NewServer(&mux)
	defer srv.Close()

	hc := NewClientWithBase(FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "at"})), srv.Client().Transport)
	resp, err := hc.Get(srv.URL + "/same")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "Bearer at" {
		t.Errorf("same-origin redirect: server saw %q; want the token", body)
	}
	_, err = hc.Get(srv.URL + "/away")
	if !errors.Is(err, ErrRefusedOrigin) {
		t.Errorf("cross-origin redirect: got %v; want ErrRefusedOrigin", err)
	}
	if len(foreignAuth) != 0 {
		t.Errorf("the other origin was reached (Authorization %q); want no request", foreignAuth)
	}
}
