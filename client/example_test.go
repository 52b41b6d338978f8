package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// The examples run against oauth2test, a fake authorization server, set
// up like the providers in ../shared/seeds. They print lengths, booleans
// and error codes, never token values.

// A provider like AWS Cognito (seed 000) wants the client credentials in
// an HTTP Basic header and a form body.
func ExampleConfig_ClientCredentialsToken() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "oforce-client", Secret: "oforce-secret-000",
		AuthStyle: oauth2test.AuthBasic, BodyFormat: oauth2test.FormOnly,
		TokenLifetime: time.Hour,
	}}})
	defer srv.Close()

	conf := &client.Config{
		ClientID:     "oforce-client",
		ClientSecret: "oforce-secret-000",
		Endpoint:     oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
	}
	tok, err := conf.ClientCredentialsToken(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("type:", tok.Type())
	fmt.Println("expires_in:", tok.ExpiresIn)
	fmt.Println("refresh token:", tok.RefreshToken != "")

	req := srv.LastTokenRequest()
	fmt.Println("sent:", req.ContentType, "with HTTP Basic:", req.UsedBasic)
	// Output:
	// type: Bearer
	// expires_in: 3600
	// refresh token: false
	// sent: application/x-www-form-urlencoded with HTTP Basic: true
}

// A provider like seed 001 wants JSON request bodies carrying the client
// credentials, and answers token_type "bearer" in lower case.
func ExampleConfig_PasswordCredentialsToken() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "api-001-client", Secret: "api-001-secret",
		AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.JSONOnly,
		TokenType: "bearer", IssueRefreshToken: true,
	}}})
	defer srv.Close()

	conf := &client.Config{
		ClientID:     "api-001-client",
		ClientSecret: "api-001-secret",
		Endpoint:     oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
		BodyFormat:   client.JSONBody,
	}
	tok, err := conf.PasswordCredentialsToken(context.Background(), "alice", "alice-password")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("token_type: %q (sent as %q)\n", tok.TokenType, tok.Type())
	fmt.Println("refresh token:", tok.RefreshToken != "")

	req := srv.LastTokenRequest()
	_, secretInBody := req.Params["client_secret"]
	fmt.Println("sent:", req.ContentType, "with the secret in the body:", secretInBody)
	// Output:
	// token_type: "bearer" (sent as "Bearer")
	// refresh token: true
	// sent: application/json with the secret in the body: true
}

// The authorization code grant with PKCE: send the user to AuthCodeURL,
// read the code from the redirect with ParseCallback, and exchange it
// with the verifier.
func ExampleConfig_AuthCodeURL() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "web-app", Secret: "web-app-secret",
		RedirectURIs: []string{"https://app.example.com/callback"},
		RequirePKCE:  true, IssueRefreshToken: true,
	}}})
	defer srv.Close()

	conf := &client.Config{
		ClientID:     "web-app",
		ClientSecret: "web-app-secret",
		Endpoint:     srv.Endpoint(),
		RedirectURL:  "https://app.example.com/callback",
	}
	// Keep state and verifier in the user's session; state must be
	// unguessable.
	state, verifier := "state-from-the-session", oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL(state, client.S256Challenge(verifier))

	// The user signs in and the browser comes back to the redirect URL
	// (simulated here by the fake server).
	callback, err := srv.Authorize(authURL, "alice", "alice-password")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("callback:", callback.Host+callback.Path)

	// In the callback handler:
	code, err := client.ParseCallback(callback.String(), state)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := conf.Exchange(context.Background(), code, client.Verifier(verifier))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("access token:", tok.AccessToken != "", "refresh token:", tok.RefreshToken != "")
	// Output:
	// callback: app.example.com/callback
	// access token: true refresh token: true
}

// Code written for golang.org/x/oauth2 keeps its AuthCodeOption values:
// AuthCodeOptions adapts them, for the authorization URL and the exchange.
func ExampleAuthCodeOptions() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "web-app", Secret: "web-app-secret",
		RedirectURIs: []string{"https://app.example.com/callback"},
		RequirePKCE:  true, IssueRefreshToken: true,
	}}})
	defer srv.Close()

	conf := &client.Config{ClientID: "web-app", ClientSecret: "web-app-secret", Endpoint: srv.Endpoint(), RedirectURL: "https://app.example.com/callback"}
	state, verifier := "state-from-the-session", oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL(state, client.AuthCodeOptions(oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier)))
	fmt.Println("offline:", strings.Contains(authURL, "access_type=offline"))

	callback, err := srv.Authorize(authURL, "alice", "alice-password")
	if err != nil {
		log.Fatal(err)
	}
	code, err := client.ParseCallback(callback.String(), state)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := conf.Exchange(context.Background(), code, client.AuthCodeOptions(oauth2.VerifierOption(verifier)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("access token:", tok.AccessToken != "")
	// Output:
	// offline: true
	// access token: true
}

// A provider like seed 002 rotates refresh tokens: each refresh returns a
// new one, and presenting an old one again is refused.
func ExampleConfig_Refresh() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "sso-client", Secret: "sso-secret",
		AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.JSONOnly,
		IssueRefreshToken: true, RotateRefreshTokens: true,
	}}})
	defer srv.Close()

	conf := &client.Config{
		ClientID:     "sso-client",
		ClientSecret: "sso-secret",
		Endpoint:     srv.Endpoint(),
		BodyFormat:   client.JSONBody,
	}
	ctx := context.Background()
	tok, err := conf.PasswordCredentialsToken(ctx, "alice", "alice-password")
	if err != nil {
		log.Fatal(err)
	}

	renewed, err := conf.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("new access token:", renewed.AccessToken != tok.AccessToken)
	fmt.Println("rotated refresh token:", renewed.RefreshToken != tok.RefreshToken)

	_, err = conf.Refresh(ctx, tok.RefreshToken)
	var re *oauth2.RetrieveError
	fmt.Println("old refresh token:", errors.As(err, &re) && re.ErrorCode == "invalid_grant")
	// Output:
	// new access token: true
	// rotated refresh token: true
	// old refresh token: true
}

// In the implicit grant the token arrives in the fragment of the
// redirect, which a browser app reads after checking the state.
func ExampleParseImplicitRedirect() {
	redirect := "https://app.example.com/sso#access_token=2YotnFZFEjr1zCsicMWpAA" +
		"&token_type=bearer&expires_in=3600&scope=read&state=xyz"

	tok, err := client.ParseImplicitRedirect(redirect, "xyz")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("type:", tok.Type(), "expires_in:", tok.ExpiresIn, "scope:", tok.Extra("scope"))
	fmt.Println("refresh token:", tok.RefreshToken != "")

	_, err = client.ParseImplicitRedirect(redirect, "another-state")
	fmt.Println("wrong state:", errors.Is(err, client.ErrStateMismatch))
	// Output:
	// type: Bearer expires_in: 3600 scope: read
	// refresh token: false
	// wrong state: true
}

// The device authorization grant: show the user code and verification
// URI, then poll until the user approves on another device.
func ExampleConfig_DeviceAuth() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{DeviceInterval: 1})
	defer srv.Close()

	conf := &client.Config{
		ClientID:     oauth2test.DefaultClientID,
		ClientSecret: oauth2test.DefaultClientSecret,
		Endpoint:     srv.Endpoint(),
	}
	ctx := context.Background()
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// Show these to the user: "visit <VerificationURI> and enter <UserCode>".
	fmt.Println("user code:", len(da.UserCode), "characters")
	fmt.Println("verification URI:", strings.TrimPrefix(da.VerificationURI, srv.URL))

	// The user approves on their phone (simulated by the fake server).
	if err := srv.ApproveDevice(da.UserCode, "alice"); err != nil {
		log.Fatal(err)
	}
	tok, err := conf.DeviceAccessToken(ctx, da) // polls every da.Interval seconds
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token:", tok.Type(), tok.Valid())
	// Output:
	// user code: 9 characters
	// verification URI: /device
	// token: Bearer true
}

// A source keeps a client credentials token fresh, and
// tokensource.NewClient adds it to requests. When the resource server
// says the token expired (401 invalid_token), the client gets a new one
// and retries once.
func ExampleConfig_ClientCredentialsSource() {
	srv := oauth2test.NewServer(nil, nil)
	defer srv.Close()

	conf := &client.Config{
		ClientID:     oauth2test.DefaultClientID,
		ClientSecret: oauth2test.DefaultClientSecret,
		Endpoint:     srv.Endpoint(),
	}
	hc := tokensource.NewClient(conf.ClientCredentialsSource(nil))
	get := func() {
		resp, err := hc.Get(srv.ResourceURL())
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status, "after", srv.TokenRequests(), "token request(s)")
	}
	get()
	get() // reuses the token

	srv.Advance(2 * time.Hour) // the server now considers the token expired
	get()
	// Output:
	// 200 OK after 1 token request(s)
	// 200 OK after 1 token request(s)
	// 200 OK after 2 token request(s)
}

// TokenSource renews a token with its refresh token. With a provider that
// rotates refresh tokens, OnRefresh is where to persist each new one: it
// runs before the token is used.
func ExampleConfig_TokenSource() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "sso-client", Secret: "sso-secret",
		IssueRefreshToken: true, RotateRefreshTokens: true,
	}}})
	defer srv.Close()

	conf := &client.Config{ClientID: "sso-client", ClientSecret: "sso-secret", Endpoint: srv.Endpoint()}
	tok, err := conf.PasswordCredentialsToken(context.Background(), "alice", "alice-password")
	if err != nil {
		log.Fatal(err)
	}

	var saved string // stands for a database row or a file
	src := conf.TokenSource(tok, &tokensource.Options{
		OnRefresh: func(ctx context.Context, tok *oauth2.Token) {
			saved = tok.RefreshToken
			fmt.Println("OnRefresh: refresh token saved")
		},
	})
	hc := tokensource.NewClient(src)
	for range 2 {
		resp, err := hc.Get(srv.ResourceURL())
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
		srv.Advance(2 * time.Hour) // expire the access token on the server
	}

	current, err := src.Token()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rotated:", current.RefreshToken != tok.RefreshToken)
	fmt.Println("saved the newest:", saved == current.RefreshToken)
	// Output:
	// OnRefresh: refresh token saved
	// 200 OK
	// OnRefresh: refresh token saved
	// 200 OK
	// rotated: true
	// saved the newest: true
}

// A provider like OfficeRnD (seed 003) refuses scopes the app lacks. The
// error reaches the caller as an *oauth2.RetrieveError.
func ExampleConfig_ClientCredentialsToken_invalidScope() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "officernd-app", Secret: "officernd-secret-003",
		AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.FormOnly,
		Scopes: []string{"officernd.api.read"}, // a read-only app
	}}})
	defer srv.Close()

	conf := &client.Config{
		ClientID:     "officernd-app",
		ClientSecret: "officernd-secret-003",
		Endpoint:     oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
		Scopes:       []string{"officernd.api.read", "officernd.api.write"},
	}
	_, err := conf.ClientCredentialsToken(context.Background())

	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		fmt.Println("status:", re.Response.StatusCode == http.StatusBadRequest)
		fmt.Println("error:", re.ErrorCode)
		fmt.Println("description:", re.ErrorDescription)
	}
	// Output:
	// status: true
	// error: invalid_scope
	// description: scope "officernd.api.write" is not allowed for this client
}
