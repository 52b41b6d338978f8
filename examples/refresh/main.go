// Refresh shows Config.TokenSource with a provider that rotates refresh
// tokens, like seed 002: every refresh returns a new refresh token and
// kills the old one, so the application must persist each new one before
// using it. Options.OnRefresh is the place to do that.
//
// The program "restarts" three times: each start builds a source from
// the stored refresh token, gets a fresh access token (which rotates the
// refresh token, saved by OnRefresh), and the next start carries on from
// there. At the end, presenting a stale refresh token is refused with
// invalid_grant.
//
// An embedded fake authorization server plays the provider, so it runs
// with no setup:
//
//	go run ./examples/refresh
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// store stands for wherever the application keeps its refresh token: a
// database row, a file, the OS keychain.
type store struct {
	mu           sync.Mutex
	refreshToken string
}

func (s *store) load() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshToken
}

// save is the OnRefresh callback: it runs with every new token, before
// the token is used.
func (s *store) save(_ context.Context, tok *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshToken = tok.RefreshToken
}

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
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

	// Sign in once; keep only the refresh token.
	signIn, err := conf.PasswordCredentialsToken(ctx, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		return err
	}
	var db store
	db.save(ctx, signIn)

	for start := 1; start <= 3; start++ {
		before := db.load()
		// A token with only a refresh token: the source refreshes at once.
		src := conf.TokenSource(&oauth2.Token{RefreshToken: before}, &tokensource.Options{OnRefresh: db.save})
		tok, err := src.TokenContext(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("start %d: got an access token (%d chars); refresh token rotated and saved: %t\n",
			start, len(tok.AccessToken), db.load() != before && db.load() == tok.RefreshToken)
	}

	// The first refresh token was rotated long ago: the server refuses it
	// (and, treating the reuse as theft, revokes its whole family).
	_, err = conf.Refresh(ctx, signIn.RefreshToken)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("stale refresh token: got %v; want invalid_grant", err)
	}
	fmt.Printf("stale refresh token: %s (%s)\n", re.ErrorCode, re.ErrorDescription)
	return nil
}
