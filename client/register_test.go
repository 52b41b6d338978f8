package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestRegisterLifecycle(t *testing.T) {
	const rat = "registration-access-token-value"
	var srv *httptest.Server
	stored := map[string]any{}
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/reg":
			if r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", r.Header.Get("Content-Type"))
			}
			stored = map[string]any{}
			_ = json.NewDecoder(r.Body).Decode(&stored)
			if stored["redirect_uris"] == nil {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"error":"invalid_redirect_uri","error_description":"missing"}`)
				return
			}
			stored["client_id"], stored["client_secret"] = "new-client", "new-secret"
			stored["client_id_issued_at"], stored["client_secret_expires_at"] = 1800000000, 0
			stored["registration_access_token"], stored["registration_client_uri"] = rat, srv.URL+"/reg/new-client"
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(stored)
		case r.URL.Path == "/reg/new-client":
			if r.Header.Get("Authorization") != "Bearer "+rat {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			switch r.Method {
			case http.MethodGet:
				_ = json.NewEncoder(w).Encode(stored)
			case http.MethodPut:
				var upd map[string]any
				_ = json.NewDecoder(r.Body).Decode(&upd)
				if upd["client_id"] != "new-client" || upd["client_secret"] != "new-secret" {
					t.Errorf("update without client_id/secret: %v", upd)
				}
				stored["client_name"] = upd["client_name"]
				_ = json.NewEncoder(w).Encode(stored)
			case http.MethodDelete:
				w.WriteHeader(http.StatusNoContent)
			}
		case r.URL.Path == "/noid":
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"client_secret":"orphan-secret"}`)
		case r.URL.Path == "/redirect":
			http.Redirect(w, r, srv.URL+"/reg", http.StatusTemporaryRedirect)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	md := &ClientMetadata{RedirectURIs: []string{"https://app.example/cb"}, ClientName: "one", GrantTypes: []string{"authorization_code"},
		Extra: map[string]any{"x_vendor": "v"}}
	reg, err := Register(ctx, srv.URL+"/reg", md, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reg.ClientID != "new-client" || reg.ClientSecret != "new-secret" || reg.ClientIDIssuedAt.Unix() != 1800000000 ||
		!reg.ClientSecretExpiresAt.IsZero() || reg.Metadata.ClientName != "one" || stored["x_vendor"] != "v" {
		t.Errorf("registration %+v; stored %v", reg, stored)
	}
	if s := fmt.Sprint(reg) + fmt.Sprintf("%#v", reg); strings.Contains(s, "new-secret") || strings.Contains(s, rat) {
		t.Errorf("%s shows a secret", s)
	}
	got, err := reg.Read(ctx, nil)
	if err != nil || got.ClientID != "new-client" {
		t.Fatalf("Read: %v, %v", got, err)
	}
	got, err = reg.Update(ctx, &ClientMetadata{RedirectURIs: md.RedirectURIs, ClientName: "two"}, nil)
	if err != nil || got.Metadata.ClientName != "two" {
		t.Fatalf("Update: %v, %v", got, err)
	}
	if err := reg.Delete(ctx, nil); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	_, err = Register(ctx, srv.URL+"/reg", &ClientMetadata{}, nil)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_redirect_uri" {
		t.Errorf("bad metadata: got %v; want invalid_redirect_uri", err)
	}
	_, err = Register(ctx, srv.URL+"/noid", md, nil)
	if !errors.Is(err, ErrNoClientID) || strings.Contains(err.Error(), "orphan-secret") {
		t.Errorf("no client_id: got %v; want ErrNoClientID without the secret", err)
	}
	if _, err = Register(ctx, srv.URL+"/redirect", md, nil); !errors.Is(err, ErrRedirect) {
		t.Errorf("redirect: got %v; want ErrRedirect", err)
	}
	if _, err = Register(ctx, "http://idp.example/reg", md, nil); !errors.Is(err, ErrInsecureURL) {
		t.Errorf("http: got %v; want ErrInsecureURL", err)
	}
	if _, err := (&Registration{ClientID: "x"}).Read(ctx, nil); err == nil {
		t.Error("Read without a registration access token: no error")
	}
}
