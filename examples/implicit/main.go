// Implicit shows the implicit grant, which seed 002 offers to client-side
// applications: the access token comes back in the fragment of the
// redirect, with no refresh token, and ParseImplicitRedirect reads it
// after checking the state. Prefer the authorization code grant with PKCE
// where the provider offers it.
//
// An embedded fake authorization server plays the provider and its login
// page, so it runs with no setup:
//
//	go run ./examples/implicit
package main

import (
	"crypto/rand"
	"fmt"
	"log"
	"strings"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	const redirectURL = "https://app.example.com/sso"
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "spa-client", AuthStyle: oauth2test.AuthNone,
		Grants:       []string{oauth2test.GrantImplicit},
		RedirectURIs: []string{redirectURL},
	}}})
	defer srv.Close()

	// A browser app has no secret to keep.
	conf := &client.Config{ClientID: "spa-client", Endpoint: srv.Endpoint(), RedirectURL: redirectURL}

	state := rand.Text()
	redirect, err := srv.Authorize(conf.ImplicitURL(state), oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		return err
	}
	keys := strings.Split(redirect.Fragment, "&")
	for i, kv := range keys {
		keys[i], _, _ = strings.Cut(kv, "=")
	}
	fmt.Println("redirect fragment carries:", strings.Join(keys, ", "))

	tok, err := client.ParseImplicitRedirect(redirect.String(), state)
	if err != nil {
		return err
	}
	fmt.Printf("token: %s, expires in %d s, refresh token: %t\n", tok.Type(), tok.ExpiresIn, tok.RefreshToken != "")

	// A redirect that does not answer our request is refused.
	_, err = client.ParseImplicitRedirect(redirect.String(), "another-state")
	fmt.Println("wrong state:", err)
	return nil
}
