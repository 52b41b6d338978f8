package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache/sqlcache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// Two app instances (each with its own connection pool, as two processes
// would have) share one database and serve the same users against a
// server that rotates refresh tokens and revokes the grant on reuse: one
// refresh per user per token lifetime, no invalid_grant, and a sign-out
// in one instance signs the user out of both.
func TestTwoInstancesOneDatabase(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) (driver, dsn string)
	}{
		{"SQLite", func(t *testing.T) (string, string) {
			return "sqlite", "file:" + filepath.Join(t.TempDir(), "tokens.db") + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
		}},
		{"Postgres", func(t *testing.T) (string, string) { return "pgx", testenv.Postgres(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const lifetime = 2 * time.Second
			as := oauth2test.NewServer(t, &oauth2test.Options{
				Users: users,
				Clients: []oauth2test.Client{{
					ID: "webapp", Secret: "webapp-secret", IssueRefreshToken: true, RotateRefreshTokens: true,
					TokenLifetime: lifetime,
				}},
			})
			conf := &client.Config{ClientID: "webapp", ClientSecret: "webapp-secret", Endpoint: as.Endpoint(),
				RedirectURL: "http://127.0.0.1/callback", RevocationURL: as.RevocationURL()}
			driver, dsn := tc.dsn(t)
			var instances []*client.UserTokens
			for range 2 {
				db, err := sql.Open(driver, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				store, err := sqlcache.New(db, nil)
				if err != nil {
					t.Fatal(err)
				}
				instances = append(instances, conf.UserTokens(store, &client.UserTokensOptions{Options: tokensource.Options{
					ExpiryWindow: 500 * time.Millisecond, JitterFrac: -1, Logger: slog.New(slog.DiscardHandler),
				}}))
			}
			ctx := context.Background()
			for name, pw := range users {
				verifier := oauth2.GenerateVerifier()
				loc, err := as.Authorize(conf.AuthCodeURL("s", client.S256Challenge(verifier)), name, pw)
				if err != nil {
					t.Fatal(err)
				}
				code, err := client.ParseCallback(loc.String(), "s")
				if err != nil {
					t.Fatal(err)
				}
				tok, err := conf.Exchange(ctx, code, client.Verifier(verifier))
				if err != nil {
					t.Fatal(err)
				}
				if err := instances[0].Save(ctx, name, tok); err != nil {
					t.Fatal(err)
				}
			}

			const run = 5 * time.Second
			deadline := time.Now().Add(run)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var errs []error
			calls := 0
			for _, inst := range instances {
				for name := range users {
					for range 2 {
						wg.Go(func() {
							for time.Now().Before(deadline) {
								who, err := subjectOf(ctx, inst.Client(name), as.ResourceURL())
								mu.Lock()
								calls++
								if err == nil && who != name {
									err = errors.New(name + " was served " + who + "'s token")
								}
								if err != nil {
									errs = append(errs, err)
								}
								mu.Unlock()
								time.Sleep(5 * time.Millisecond)
							}
						})
					}
				}
			}
			wg.Wait()
			if len(errs) > 0 {
				t.Fatalf("%d of %d calls failed; first: %v", len(errs), calls, errs[0])
			}
			refreshes := as.GrantRequests(oauth2test.GrantRefreshToken)
			// Per user: one renewal per (lifetime - window) of the run, at most.
			maxRefreshes := len(users) * (int(run/(lifetime-500*time.Millisecond)) + 1)
			t.Logf("%d calls, %d refreshes for %d users over %v", calls, refreshes, len(users), run)
			if refreshes == 0 || refreshes > maxRefreshes {
				t.Errorf("refreshes: got %d; want 1 to %d (one per user per token lifetime)", refreshes, maxRefreshes)
			}

			// Sign-out in one instance: the other serves nothing for alice.
			if err := instances[1].Delete(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(lifetime) // alice's token in instance 0's memory expires
			if _, err := subjectOf(ctx, instances[0].Client("alice"), as.ResourceURL()); !errors.Is(err, client.ErrNoUserToken) {
				t.Errorf("alice in the other instance after sign-out: got %v; want ErrNoUserToken", err)
			}
			if who, err := subjectOf(ctx, instances[0].Client("bob"), as.ResourceURL()); err != nil || who != "bob" {
				t.Errorf("bob after alice signed out: got %q, %v", who, err)
			}
		})
	}
}

func subjectOf(ctx context.Context, hc *http.Client, resource string) (string, error) {
	body, err := get(ctx, hc, resource)
	if err != nil {
		return "", err
	}
	var v struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", err
	}
	return v.Sub, nil
}
