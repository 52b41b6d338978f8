// Password shows the resource owner password credentials grant against a
// provider shaped like seed 001: requests are JSON bodies
// ("Content-Type: application/json") carrying client_id and
// client_secret, and the server answers token_type "bearer" in lower case
// with a refresh token.
//
// An embedded fake authorization server plays the provider, so it runs
// with no setup:
//
//	go run ./examples/password
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "api-001-client", Secret: "api-001-secret",
		AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.JSONOnly,
		Grants:    []string{oauth2test.GrantPassword, oauth2test.GrantRefreshToken},
		TokenType: "bearer", TokenLifetime: 7200 * time.Second, IssueRefreshToken: true,
	}}})
	defer srv.Close()

	conf := &client.Config{
		ClientID:     "api-001-client",
		ClientSecret: "api-001-secret",
		Endpoint:     oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
		BodyFormat:   client.JSONBody,
	}
	// A first-party app asks its user for these; never log them.
	username, password := oauth2test.DefaultUsername, oauth2test.DefaultPassword

	tok, err := conf.PasswordCredentialsToken(ctx, username, password)
	if err != nil {
		return err
	}
	fmt.Printf("token type %q, expires in %d s, refresh token: %t\n", tok.TokenType, tok.ExpiresIn, tok.RefreshToken != "")

	req := srv.LastTokenRequest()
	_, secretInBody := req.Params["client_secret"]
	fmt.Printf("sent %s with the client secret in the body: %t\n", req.ContentType, secretInBody)
	return nil
}
