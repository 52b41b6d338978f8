// Authcode shows the authorization code grant with PKCE (RFC 7636): build
// the authorization URL with an S256 challenge, send the user there, read
// the code from the redirect with ParseCallback (which checks the state),
// and exchange it together with the verifier.
//
// An embedded fake authorization server plays the provider and its login
// page (srv.Authorize signs the user in as a browser would), so it runs
// with no setup:
//
//	go run ./examples/authcode
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"os"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, w io.Writer) error {
	const redirectURL = "https://app.example.com/oauth/callback"
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "web-app", Secret: "web-app-secret",
		RedirectURIs: []string{redirectURL}, RequirePKCE: true, IssueRefreshToken: true,
	}}})
	defer srv.Close()

	conf := &client.Config{
		ClientID:     "web-app",
		ClientSecret: "web-app-secret",
		Endpoint:     srv.Endpoint(),
		RedirectURL:  redirectURL,
		Scopes:       []string{"profile"},
	}

	// Keep state and verifier in the user's session until the callback.
	state, verifier := rand.Text(), oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL(state, client.S256Challenge(verifier))
	fmt.Fprintln(w, "send the user to:", authURL)

	// The user signs in; the server redirects the browser to redirectURL.
	callback, err := srv.Authorize(authURL, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "redirected to:   ", callback.Scheme+"://"+callback.Host+callback.Path+"?code=…&state=…")

	// In the handler of redirectURL:
	code, err := client.ParseCallback(callback.String(), state)
	if err != nil {
		return err
	}
	tok, err := conf.Exchange(ctx, code, client.Verifier(verifier))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "token:            %s, scope %q, refresh token: %t\n", tok.Type(), tok.Extra("scope"), tok.RefreshToken != "")
	return nil
}
