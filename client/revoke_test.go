package client_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/oauth2test"
)

func TestRevokeAgainstFake(t *testing.T) {
	for _, tt := range []struct {
		name   string
		format client.BodyFormat
		style  oauth2.AuthStyle
	}{
		{"form basic", client.FormBody, oauth2.AuthStyleInHeader},
		{"form body credentials", client.FormBody, oauth2.AuthStyleInParams},
		{"json body credentials", client.JSONBody, oauth2.AuthStyleInParams},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{ID: "app", Secret: "app-secret-value", IssueRefreshToken: true}}})
			conf := &client.Config{ClientID: "app", ClientSecret: "app-secret-value", BodyFormat: tt.format, RevocationURL: srv.RevocationURL(),
				Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: tt.style}}
			ctx := context.Background()
			tok, err := conf.PasswordCredentialsToken(ctx, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
			if err != nil {
				t.Fatal(err)
			}
			if err := conf.Revoke(ctx, tok.RefreshToken, "refresh_token"); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			// The refresh token, and the access token issued with it, are dead.
			var re *oauth2.RetrieveError
			if _, err := conf.Refresh(ctx, tok.RefreshToken); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Errorf("refresh after revocation: %v; want invalid_grant", err)
			}
			req, _ := http.NewRequest("GET", srv.ResourceURL(), nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("resource with a revoked grant: HTTP %d; want 401", resp.StatusCode)
			}
			// Unknown tokens are not an error (RFC 7009 §2.2).
			if err := conf.Revoke(ctx, "no-such-token", ""); err != nil {
				t.Errorf("Revoke of an unknown token: %v; want nil", err)
			}
		})
	}
}

func TestRevokeErrors(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{ID: "app", Secret: "app-secret-value"}}})
	conf := &client.Config{ClientID: "app", ClientSecret: "wrong-secret-value", RevocationURL: srv.RevocationURL(),
		Endpoint: oauth2.Endpoint{AuthStyle: oauth2.AuthStyleInHeader}}
	err := conf.Revoke(context.Background(), "token-to-revoke-value", "access_token")
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Fatalf("wrong secret: %v; want invalid_client", err)
	}
	for _, s := range []string{"wrong-secret-value", "token-to-revoke-value"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks %q: %v", s, err)
		}
	}
	if err := (&client.Config{}).Revoke(context.Background(), "t", ""); err == nil {
		t.Error("Revoke without RevocationURL succeeded; want a ConfigError")
	}
}

func TestRevokeAgainstOIDCProvider(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	ep := testenv.EndpointsFor(iss)
	conf := &client.Config{ClientID: testenv.SvcClientID, ClientSecret: testenv.SvcClientSecret, RevocationURL: ep.Revocation,
		Params: map[string][]string{"resource": {testenv.ResourceOpaque}}, Scopes: []string{"api:read"},
		Endpoint: oauth2.Endpoint{TokenURL: ep.Token}}
	ctx := context.Background()
	tok, err := conf.ClientCredentialsToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := conf.Revoke(ctx, tok.AccessToken, "access_token"); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
}
