package oauth2test_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tokenward/tokenward/oauth2test"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// These tests check that golang.org/x/oauth2, the reference Go client, works
// against the server as a real provider would.

func TestXOAuth2AuthStyleDetection(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{
		{ID: "basic", Secret: "bs", AuthStyle: oauth2test.AuthBasic, BodyFormat: oauth2test.FormOnly},
		{ID: "body", Secret: "ds", AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.FormOnly},
	}})
	tests := []struct {
		id, secret string
		wantBasic  bool
	}{
		{"basic", "bs", true},
		{"body", "ds", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			cfg := clientcredentials.Config{ClientID: tt.id, ClientSecret: tt.secret, TokenURL: srv.TokenURL()}
			if _, err := cfg.Token(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := srv.LastTokenRequest().UsedBasic; got != tt.wantBasic {
				t.Errorf("last request UsedBasic = %v; want %v", got, tt.wantBasic)
			}
		})
	}
}

func TestXOAuth2InvalidScope(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "ornd", Secret: "s", AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.FormOnly,
		Grants: []string{oauth2test.GrantClientCredentials},
		Scopes: []string{"officernd.api.read"},
	}}})
	cfg := clientcredentials.Config{
		ClientID: "ornd", ClientSecret: "s", TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInParams,
		Scopes: []string{"officernd.api.read", "officernd.api.write"},
	}
	_, err := cfg.Token(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("got error %v; want a *oauth2.RetrieveError", err)
	}
	if got, want := re.ErrorCode, "invalid_scope"; got != want {
		t.Errorf("ErrorCode = %q; want %q", got, want)
	}
	if got, want := re.Response.StatusCode, 400; got != want {
		t.Errorf("status = %d; want %d", got, want)
	}
}

func TestXOAuth2PasswordAndRotatingRefresh(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "app", Secret: "s", TokenType: "bearer", ExpiresIn: oauth2test.ExpiresString,
		IssueRefreshToken: true, RotateRefreshTokens: true,
	}}})
	cfg := oauth2.Config{ClientID: "app", ClientSecret: "s", Endpoint: srv.Endpoint()}
	ctx := context.Background()
	tok, err := cfg.PasswordCredentialsToken(ctx, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.Type(), "Bearer"; got != want {
		t.Errorf("Type() = %q; want %q", got, want)
	}
	if d := time.Until(tok.Expiry); d < 59*time.Minute || d > time.Hour {
		t.Errorf("Expiry in %v; want about 1h (expires_in sent as a string)", d)
	}

	old := *tok
	tok.Expiry = time.Now().Add(-time.Minute) // force a refresh
	next, err := cfg.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken == "" || next.RefreshToken == old.RefreshToken {
		t.Errorf("refresh token after refresh = %q; want a new one (old %q)", next.RefreshToken, old.RefreshToken)
	}
	if got, want := srv.GrantRequests(oauth2test.GrantRefreshToken), 1; got != want {
		t.Errorf("GrantRequests(refresh_token) = %d; want %d", got, want)
	}
}

func TestXOAuth2DevicePolling(t *testing.T) {
	t.Parallel()
	srv := oauth2test.NewServer(t, &oauth2test.Options{
		Clients:        []oauth2test.Client{{ID: "tv", AuthStyle: oauth2test.AuthNone}},
		DeviceInterval: 1,
	})
	cfg := oauth2.Config{ClientID: "tv", Endpoint: srv.Endpoint()}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for srv.GrantRequests(oauth2test.GrantDeviceCode) < 2 && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		srv.ApproveDevice(da.UserCode, "bob")
	}()
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Valid() {
		t.Errorf("token %+v is not valid", tok)
	}
	if got := srv.GrantRequests(oauth2test.GrantDeviceCode); got < 3 {
		t.Errorf("GrantRequests(device_code) = %d; want at least 3 (pending polls, then success)", got)
	}
}
