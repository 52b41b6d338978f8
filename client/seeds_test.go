package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// The four providers this SDK was born from, played by oauth2test with
// the shapes their documents describe (../shared/seeds).
var (
	seed000 = oauth2test.Client{ // OpenForce on AWS Cognito
		ID: "oforce-client", Secret: "oforce-secret-000", AuthStyle: oauth2test.AuthBasic, BodyFormat: oauth2test.FormOnly,
		Grants: []string{oauth2test.GrantClientCredentials}, TokenLifetime: 3600 * time.Second,
	}
	seed001 = oauth2test.Client{ // password + authorization code, JSON bodies, lowercase bearer
		ID: "api-001-client", Secret: "api-001-secret", AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.JSONOnly,
		Grants:       []string{oauth2test.GrantPassword, oauth2test.GrantAuthorizationCode, oauth2test.GrantRefreshToken},
		RedirectURIs: []string{"https://app.example.com/oauth/callback"}, TokenLifetime: 7200 * time.Second,
		TokenType: "bearer", IssueRefreshToken: true,
	}
	seed002 = oauth2test.Client{ // every grant with JSON bodies carrying credentials; rotation
		ID: "BA779C49-4D93-4785-9596-25805A24C5DC", Secret: "4AD3CE00-8ED5-4F0A-A979-ACE64A15207C",
		AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.JSONOnly,
		RedirectURIs: []string{"https://app.example.com/sso"}, IssueRefreshToken: true, RotateRefreshTokens: true,
	}
	seed003 = oauth2test.Client{ // OfficeRnD: form body with credentials, scopes; a read-only app
		ID: "officernd-app", Secret: "officernd-secret-003", AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.FormOnly,
		Grants: []string{oauth2test.GrantClientCredentials}, Scopes: []string{"officernd.api.read"},
		TokenLifetime: 3599 * time.Second,
	}
)

var allSecrets = []string{seed000.Secret, seed001.Secret, seed002.Secret, seed003.Secret, oauth2test.DefaultPassword}

func seedServer(t *testing.T) *oauth2test.Server {
	return oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{seed000, seed001, seed002, seed003}})
}

func configFor(s *oauth2test.Server, c oauth2test.Client, format client.BodyFormat, style oauth2.AuthStyle) *client.Config {
	ep := s.Endpoint()
	ep.AuthStyle = style
	conf := &client.Config{ClientID: c.ID, ClientSecret: c.Secret, Endpoint: ep, BodyFormat: format}
	if len(c.RedirectURIs) > 0 {
		conf.RedirectURL = c.RedirectURIs[0]
	}
	return conf
}

// callResource calls the protected resource with a token source.
func callResource(t *testing.T, s *oauth2test.Server, src tokensource.Source) {
	t.Helper()
	resp, err := tokensource.NewClient(src).Get(s.ResourceURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("resource: HTTP %d %s; want 200", resp.StatusCode, body)
	}
}

func TestSeed000ClientCredentialsBasic(t *testing.T) {
	s := seedServer(t)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleAutoDetect} {
		conf := configFor(s, seed000, client.FormBody, style)
		tok, err := conf.ClientCredentialsToken(context.Background())
		if err != nil {
			t.Fatalf("style %v: %v", style, err)
		}
		if tok.RefreshToken != "" || tok.Type() != "Bearer" {
			t.Errorf("got %+v; want a Bearer token without refresh token", tok)
		}
		if d := time.Until(tok.Expiry); d < 3590*time.Second || d > 3600*time.Second {
			t.Errorf("expires in %v; want 3600s", d)
		}
		req := s.LastTokenRequest()
		if !req.UsedBasic || req.BasicUser != seed000.ID || req.ContentType != "application/x-www-form-urlencoded" {
			t.Errorf("wire: basic=%v user=%q ct=%q; want HTTP Basic with a form body", req.UsedBasic, req.BasicUser, req.ContentType)
		}
		if _, ok := req.Params["client_secret"]; ok {
			t.Error("secret sent in the body as well as in Basic")
		}
	}
	// The source re-fetches with client credentials on expiry.
	src := configFor(s, seed000, client.FormBody, oauth2.AuthStyleInHeader).ClientCredentialsSource(nil)
	callResource(t, s, src)
	before := s.GrantRequests(oauth2test.GrantClientCredentials)
	s.Advance(2 * time.Hour)
	callResource(t, s, src) // 401 invalid_token -> invalidate -> new token -> retry
	if got := s.GrantRequests(oauth2test.GrantClientCredentials); got != before+1 {
		t.Errorf("client_credentials requests = %d; want %d (one re-fetch)", got, before+1)
	}
}

func TestSeed001PasswordAndCodeJSON(t *testing.T) {
	s := seedServer(t)
	conf := configFor(s, seed001, client.JSONBody, oauth2.AuthStyleAutoDetect)
	ctx := context.Background()

	// Password grant.
	tok, err := conf.PasswordCredentialsToken(ctx, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "bearer" || tok.Type() != "Bearer" || tok.RefreshToken == "" {
		t.Errorf("got type %q refresh %v; want lowercase bearer with a refresh token", tok.TokenType, tok.RefreshToken != "")
	}
	req := s.LastTokenRequest()
	if req.ContentType != "application/json" || req.UsedBasic || req.Params["client_id"] != seed001.ID || req.Params["client_secret"] != seed001.Secret {
		t.Errorf("wire: ct=%q basic=%v; want application/json with credentials in the body", req.ContentType, req.UsedBasic)
	}

	// Authorization code grant (https redirect URI).
	state := "st-001"
	u, err := s.Authorize(conf.AuthCodeURL(state), oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	code, err := client.ParseCallback(u.String(), state)
	if err != nil {
		t.Fatal(err)
	}
	tok, err = conf.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token from the code grant")
	}
	// Refresh keeps working through the source; the token lifetime is 7200s.
	src := conf.TokenSource(tok, nil)
	callResource(t, s, src)
	s.Advance(3 * time.Hour)
	callResource(t, s, src)
	if got := s.GrantRequests(oauth2test.GrantRefreshToken); got != 1 {
		t.Errorf("refresh requests = %d; want 1", got)
	}
}

func TestSeed002AllGrantsJSONWithRotation(t *testing.T) {
	s := seedServer(t)
	conf := configFor(s, seed002, client.JSONBody, oauth2.AuthStyleInParams)
	ctx := context.Background()

	if _, err := conf.ClientCredentialsToken(ctx); err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	pw, err := conf.PasswordCredentialsToken(ctx, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		t.Fatalf("password: %v", err)
	}
	verifier := oauth2.GenerateVerifier()
	u, err := s.Authorize(conf.AuthCodeURL("s2", client.S256Challenge(verifier)), oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	code, err := client.ParseCallback(u.String(), "s2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conf.Exchange(ctx, code, client.Verifier(verifier)); err != nil {
		t.Fatalf("authorization_code: %v", err)
	}
	if req := s.LastTokenRequest(); req.Params["code_verifier"] != verifier || req.ContentType != "application/json" {
		t.Errorf("exchange wire: %v; want a JSON body with code_verifier", req.ContentType)
	}

	// Implicit: the token arrives in the fragment, without a refresh token.
	u, err = s.Authorize(conf.ImplicitURL("imp"), oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := client.ParseImplicitRedirect(u.String(), "imp")
	if err != nil {
		t.Fatalf("implicit: %v", err)
	}
	if imp.RefreshToken != "" || imp.AccessToken == "" {
		t.Errorf("implicit token %+v; want an access token without refresh token", imp)
	}
	if _, err := client.ParseImplicitRedirect(u.String(), "other-state"); !errors.Is(err, client.ErrStateMismatch) {
		t.Errorf("wrong state: got %v; want ErrStateMismatch", err)
	}

	// Every refresh rotates; the old refresh token is dead (reuse detection).
	r1, err := conf.Refresh(ctx, pw.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if r1.RefreshToken == pw.RefreshToken || r1.RefreshToken == "" {
		t.Fatal("refresh did not rotate the refresh token")
	}
	_, err = conf.Refresh(ctx, pw.RefreshToken)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reusing a rotated refresh token: got %v; want invalid_grant", err)
	}
	assertClean(t, err)

	// A source never loses a rotated token: it refreshes from the newest.
	pw2, _ := conf.PasswordCredentialsToken(ctx, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	var rotations []string
	src := conf.TokenSource(pw2, &tokensource.Options{OnRefresh: func(_ context.Context, tok *oauth2.Token) {
		rotations = append(rotations, tok.RefreshToken)
	}})
	for range 3 {
		s.Advance(2 * time.Hour)
		callResource(t, s, src)
	}
	if len(rotations) != 4 { // the seed, then three rotations
		t.Errorf("OnRefresh calls = %d; want 4", len(rotations))
	}
}

func TestSeed003ScopesAndTypedError(t *testing.T) {
	s := seedServer(t)
	conf := configFor(s, seed003, client.FormBody, oauth2.AuthStyleInParams)
	conf.Scopes = []string{"officernd.api.read"}
	tok, err := conf.ClientCredentialsToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Extra("scope"); got != "officernd.api.read" {
		t.Errorf("scope = %v; want officernd.api.read", got)
	}
	req := s.LastTokenRequest()
	if req.ContentType != "application/x-www-form-urlencoded" || req.Params["client_secret"] != seed003.Secret || req.UsedBasic {
		t.Errorf("wire: ct=%q basic=%v; want a form body with the credentials", req.ContentType, req.UsedBasic)
	}

	// The app lacks write permission: the error reaches the caller typed.
	conf.Scopes = []string{"officernd.api.read", "officernd.api.write"}
	_, err = conf.ClientCredentialsToken(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_scope" {
		t.Fatalf("got %v; want *oauth2.RetrieveError invalid_scope", err)
	}
	if !strings.Contains(err.Error(), "invalid_scope") {
		t.Errorf("message %q; want it to name invalid_scope", err)
	}
	assertClean(t, err)
	// Through a source too.
	_, err = conf.ClientCredentialsSource(nil).TokenContext(context.Background())
	if !errors.As(err, &re) || re.ErrorCode != "invalid_scope" {
		t.Fatalf("source: got %v; want invalid_scope", err)
	}
	assertClean(t, err)
}

func TestDeviceFlowAgainstFake(t *testing.T) {
	s := oauth2test.NewServer(t, &oauth2test.Options{DeviceInterval: 1, Clients: []oauth2test.Client{{
		ID: "tv", Secret: "tv-secret-value", IssueRefreshToken: true,
	}}})
	conf := &client.Config{ClientID: "tv", ClientSecret: "tv-secret-value", Endpoint: s.Endpoint(), Scopes: []string{"read"}}
	ctx := context.Background()
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if da.VerificationURI == "" || da.UserCode == "" {
		t.Fatalf("device response %+v lacks user code or URI", da)
	}
	go func() {
		time.Sleep(1500 * time.Millisecond)
		s.ApproveDevice(da.UserCode, oauth2test.DefaultUsername)
	}()
	tok, err := conf.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" {
		t.Error("device token lacks a refresh token")
	}
	// Denied.
	da, _ = conf.DeviceAuth(ctx)
	s.DenyDevice(da.UserCode)
	_, err = conf.DeviceAccessToken(ctx, da)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "access_denied" {
		t.Fatalf("denied: got %v; want access_denied", err)
	}
	assertClean(t, err)
}

func TestFaultsFromFake(t *testing.T) {
	tests := []struct {
		name  string
		fault oauth2test.Fault
		check func(t *testing.T, err error)
	}{
		{"error in a 200", oauth2test.Fault{Status: 200, Error: "invalid_client"}, wantCode("invalid_client")},
		{"html 502 then recovery", oauth2test.Fault{Status: 502, Body: "<html>bad gateway</html>", ContentType: "text/html"}, wantNil},
		{"429 with Retry-After then recovery", oauth2test.Fault{Status: 429, RetryAfter: "1"}, wantNil},
		{"connection closed then recovery", oauth2test.Fault{CloseConnection: true}, wantNil},
		{"truncated json", oauth2test.Fault{Status: 200, Body: `{"access_token":"x`, ContentType: "application/json"}, wantResponseError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := seedServer(t)
			s.QueueFault(tt.fault)
			_, err := configFor(s, seed000, client.FormBody, oauth2.AuthStyleInHeader).ClientCredentialsToken(context.Background())
			tt.check(t, err)
			if err != nil {
				assertClean(t, err)
			}
		})
	}
}

func wantNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("got %v; want recovery by retry", err)
	}
}

func wantCode(code string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != code {
			t.Fatalf("got %v; want %s", err, code)
		}
	}
}

func wantResponseError(t *testing.T, err error) {
	t.Helper()
	var re *client.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got %T %v; want *client.ResponseError", err, err)
	}
}

// assertClean fails if err's message, or any *oauth2.RetrieveError body in
// it, holds a secret.
func assertClean(t *testing.T, err error) {
	t.Helper()
	texts := []string{err.Error(), fmt.Sprintf("%+v", err)}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		texts = append(texts, string(re.Body), re.ErrorDescription)
	}
	for _, text := range texts {
		for _, s := range allSecrets {
			if strings.Contains(text, s) || strings.Contains(text, url.QueryEscape(s)) {
				t.Errorf("secret leaked in error text %q", text)
			}
		}
	}
}

var _ = http.StatusOK
