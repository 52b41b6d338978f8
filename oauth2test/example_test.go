package oauth2test_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/tokenward/tokenward/oauth2test"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func ExampleNewServer() {
	srv := oauth2test.NewServer(nil, nil) // in a test: oauth2test.NewServer(t, nil)
	defer srv.Close()

	cfg := clientcredentials.Config{
		ClientID:     oauth2test.DefaultClientID,
		ClientSecret: oauth2test.DefaultClientSecret,
		TokenURL:     srv.TokenURL(),
		Scopes:       []string{"read"},
	}
	tok, err := cfg.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Type(), tok.Extra("scope"))

	resp, err := cfg.Client(context.Background()).Get(srv.ResourceURL())
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// Bearer read
	// 200 OK
}

func ExampleServer_Authorize() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{
		Clients: []oauth2test.Client{{
			ID:                "web-app",
			Secret:            "web-secret",
			RedirectURIs:      []string{"https://app.example/callback"},
			RequirePKCE:       true,
			IssueRefreshToken: true,
		}},
	})
	defer srv.Close()

	cfg := oauth2.Config{
		ClientID:     "web-app",
		ClientSecret: "web-secret",
		Endpoint:     srv.Endpoint(),
		RedirectURL:  "https://app.example/callback",
	}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("state-123", oauth2.S256ChallengeOption(verifier))

	// The user signs in; the browser would be sent to the callback.
	callback, err := srv.Authorize(authURL, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("state:", callback.Query().Get("state"))

	tok, err := cfg.Exchange(context.Background(), callback.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("refresh token:", tok.RefreshToken != "")
	// Output:
	// state: state-123
	// refresh token: true
}

func ExampleServer_QueueFault() {
	srv := oauth2test.NewServer(nil, nil)
	defer srv.Close()
	srv.QueueFault(oauth2test.Fault{Status: http.StatusServiceUnavailable, Error: "temporarily_unavailable", RetryAfter: "1"})

	cfg := clientcredentials.Config{
		ClientID:     oauth2test.DefaultClientID,
		ClientSecret: oauth2test.DefaultClientSecret,
		TokenURL:     srv.TokenURL(),
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	_, err := cfg.Token(context.Background())
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		fmt.Println(re.Response.StatusCode, re.ErrorCode, re.Response.Header.Get("Retry-After"))
	}

	// The fault applied once; the next request succeeds.
	if _, err := cfg.Token(context.Background()); err == nil {
		fmt.Println("token requests:", srv.TokenRequests())
	}
	// Output:
	// 503 temporarily_unavailable 1
	// token requests: 2
}

func ExampleServer_ApproveDevice() {
	// x/oauth2's DeviceAuth sends no client secret, so use a public client.
	srv := oauth2test.NewServer(nil, &oauth2test.Options{
		Clients:        []oauth2test.Client{{ID: "tv-app", AuthStyle: oauth2test.AuthNone}},
		DeviceInterval: 1,
	})
	defer srv.Close()

	cfg := oauth2.Config{ClientID: "tv-app", Endpoint: srv.Endpoint()}
	ctx := context.Background()
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("visit:", da.VerificationURI == srv.VerificationURL())

	// The user enters the code on another device.
	if err := srv.ApproveDevice(da.UserCode, oauth2test.DefaultUsername); err != nil {
		log.Fatal(err)
	}
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("valid:", tok.Valid())
	// Output:
	// visit: true
	// valid: true
}

func ExampleServer_Advance() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{TokenLifetime: 10 * time.Minute})
	defer srv.Close()

	cfg := clientcredentials.Config{
		ClientID:     oauth2test.DefaultClientID,
		ClientSecret: oauth2test.DefaultClientSecret,
		TokenURL:     srv.TokenURL(),
	}
	tok, err := cfg.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	get := func() string {
		req, _ := http.NewRequest(http.MethodGet, srv.ResourceURL(), nil)
		tok.SetAuthHeader(req)
		resp, err := srv.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		return resp.Status
	}
	fmt.Println(get())
	srv.Advance(10 * time.Minute) // the server now considers the token expired
	fmt.Println(get())
	// Output:
	// 200 OK
	// 401 Unauthorized
}
