package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// signInForExample runs the authorization code flow for username as a
// browser would, and returns the token of the exchange.
func signInForExample(srv *oauth2test.Server, conf *client.Config, username, password string) *oauth2.Token {
	verifier := oauth2.GenerateVerifier()
	redirect, err := srv.Authorize(conf.AuthCodeURL("state", client.S256Challenge(verifier)), username, password)
	if err != nil {
		log.Fatal(err)
	}
	code, err := client.ParseCallback(redirect.String(), "state")
	if err != nil {
		log.Fatal(err)
	}
	tok, err := conf.Exchange(context.Background(), code, client.Verifier(verifier))
	if err != nil {
		log.Fatal(err)
	}
	return tok
}

// A web app keeps every signed-in user's tokens with UserTokens: Save
// after the sign-in, Client for API calls as the user, Delete at sign-out.
// The store here is in memory; production apps use cache/sqlcache or
// cache/rediscache, under cache.NewSealed.
func ExampleConfig_UserTokens() {
	srv := oauth2test.NewServer(nil, &oauth2test.Options{
		Users:   map[string]string{"alice": "alice-pw", "bob": "bob-pw"},
		Clients: []oauth2test.Client{{ID: "webapp", Secret: "webapp-secret", IssueRefreshToken: true, RotateRefreshTokens: true}},
	})
	defer srv.Close()
	conf := &client.Config{
		ClientID: "webapp", ClientSecret: "webapp-secret",
		Endpoint:      srv.Endpoint(),
		RedirectURL:   "http://127.0.0.1:8080/callback",
		RevocationURL: srv.RevocationURL(),
	}
	users := conf.UserTokens(&cache.Memory{}, &client.UserTokensOptions{
		MaxResident: 10000,
		OnRefresh: func(_ context.Context, userID string, _ *oauth2.Token) {
			fmt.Println("renewed the token of", userID)
		},
	})
	ctx := context.Background()

	// After each sign-in: the user ID is the stable identity the server
	// vouches for (here the login name; in OpenID Connect, the sub claim).
	for _, u := range []struct{ id, password string }{{"alice", "alice-pw"}, {"bob", "bob-pw"}} {
		if err := users.Save(ctx, u.id, signInForExample(srv, conf, u.id, u.password)); err != nil {
			log.Fatal(err)
		}
	}

	// On each request: call the API as the signed-in user.
	for _, id := range []string{"alice", "bob"} {
		resp, err := users.Client(id).Get(srv.ResourceURL())
		if err != nil {
			log.Fatal(err)
		}
		var who struct{ Sub string }
		_ = json.NewDecoder(resp.Body).Decode(&who)
		resp.Body.Close()
		fmt.Printf("%s: %s, the API says %s\n", id, resp.Status, who.Sub)
	}

	// At sign-out: revoke and delete.
	if err := users.Delete(ctx, "alice"); err != nil {
		log.Fatal(err)
	}
	_, err := users.Client("alice").Get(srv.ResourceURL())
	fmt.Println("alice after sign-out must sign in:", errors.Is(err, client.ErrNoUserToken))
	// Output:
	// alice: 200 OK, the API says alice
	// bob: 200 OK, the API says bob
	// alice after sign-out must sign in: true
}

// A user with no stored token gets an error that matches ErrNoUserToken:
// send them to sign in. (A store that is down gives a *UserTokenError
// that does not match it: the user need not sign in again.)
func ExampleErrNoUserToken() {
	srv := oauth2test.NewServer(nil, nil)
	defer srv.Close()
	conf := &client.Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Endpoint: srv.Endpoint()}
	users := conf.UserTokens(&cache.Memory{}, &client.UserTokensOptions{
		Options: tokensource.Options{Logger: slog.New(slog.DiscardHandler)},
	})

	_, err := users.Source("carol").Token()
	var ue *client.UserTokenError
	if errors.As(err, &ue) && errors.Is(err, client.ErrNoUserToken) {
		fmt.Println("send", ue.UserID, "to sign in:", http.StatusSeeOther)
	}
	// Output:
	// send carol to sign in: 303
}
