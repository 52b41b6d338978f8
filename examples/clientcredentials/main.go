// Clientcredentials shows the client credentials grant against a provider
// shaped like seed 000 (OpenForce on AWS Cognito): the client
// authenticates with HTTP Basic, the body is form-encoded, and the token
// lives 3600 seconds with no refresh token.
//
// An embedded fake authorization server plays the provider, so it runs
// with no setup:
//
//	go run ./examples/clientcredentials
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
		ID: "oforce-client", Secret: "oforce-secret-000",
		AuthStyle: oauth2test.AuthBasic, BodyFormat: oauth2test.FormOnly,
		Grants:        []string{oauth2test.GrantClientCredentials},
		TokenLifetime: 3600 * time.Second,
	}}})
	defer srv.Close()

	conf := &client.Config{
		ClientID:     "oforce-client",
		ClientSecret: "oforce-secret-000",
		Endpoint:     oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
	}
	tok, err := conf.ClientCredentialsToken(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("token:         %d chars, type %s, expires in %d s, refresh token: %t\n",
		len(tok.AccessToken), tok.Type(), tok.ExpiresIn, tok.RefreshToken != "")

	req := srv.LastTokenRequest()
	fmt.Println("content type: ", req.ContentType)
	fmt.Println("HTTP Basic:   ", req.UsedBasic)
	return nil
}
