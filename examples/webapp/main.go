// Command webapp is a small web app that signs users in with the
// authorization code flow and PKCE, calls an API as the signed-in user,
// and signs them out, keeping every user's tokens with client.UserTokens
// in a SQL database (cache/sqlcache): a SQLite file by default, or
// PostgreSQL with -postgres, sealed with AES-256-GCM (cache.NewSealed,
// key in WEBAPP_TOKEN_KEY, 32 bytes in base64).
//
// It runs against an embedded oauth2test authorization server with two
// users, alice and bob (passwords alice-pw and bob-pw), so it needs no
// setup:
//
//	go run ./examples/webapp
//	go run ./examples/webapp -postgres 'host=/run/postgresql dbname=webapp'
//
// Then open http://127.0.0.1:8080 in a browser (two browser profiles to
// sign in as both users at once).
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	"golang.org/x/oauth2"
	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/cache/sqlcache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to serve the app on")
	dbFile := flag.String("sqlite", filepath.Join(os.TempDir(), "tokenward-webapp.db"), "SQLite file for the tokens")
	dsn := flag.String("postgres", "", "PostgreSQL connection string (pgx); overrides -sqlite")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, *dbFile, *dsn, log); err != nil {
		log.Error("webapp", "err", err)
		os.Exit(1)
	}
}

func run(addr, dbFile, dsn string, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	db, err := openDB(dbFile, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := sqlcache.New(db, nil)
	if err != nil {
		return err
	}
	store, err := sealed(rows, log)
	if err != nil {
		return err
	}

	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	as := newAuthServer()
	defer as.Close()
	app := newApp(as, store, "http://"+l.Addr().String(), log)
	hs := &http.Server{Handler: app.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	fmt.Fprintf(os.Stderr, "webapp on http://%s (sign in as alice/alice-pw or bob/bob-pw)\n", l.Addr())
	if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sealed encrypts the tokens at rest (AES-256-GCM) with the base64 key
// in WEBAPP_TOKEN_KEY, or with a key of this run only (the users then
// sign in again after a restart).
func sealed(rows tokensource.Cache, log *slog.Logger) (tokensource.Cache, error) {
	key, err := base64.StdEncoding.DecodeString(os.Getenv("WEBAPP_TOKEN_KEY"))
	if err != nil || len(key) == 0 {
		log.Warn("webapp: WEBAPP_TOKEN_KEY unset or not base64; sealing tokens with a key of this run only")
		key = make([]byte, 32)
		rand.Read(key)
	}
	return cache.NewSealed(rows, key)
}

// openDB opens PostgreSQL when dsn is set, else the SQLite file.
func openDB(file, dsn string) (*sql.DB, error) {
	if dsn != "" {
		return sql.Open("pgx", dsn)
	}
	return sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
}

// Users of the embedded authorization server.
var users = map[string]string{"alice": "alice-pw", "bob": "bob-pw"}

// newAuthServer starts the embedded authorization server: one
// confidential client, "webapp", with rotating refresh tokens.
func newAuthServer() *oauth2test.Server {
	return oauth2test.NewServer(nil, &oauth2test.Options{
		Users: users,
		Clients: []oauth2test.Client{{
			ID: "webapp", Secret: "webapp-secret", RequirePKCE: true,
			IssueRefreshToken: true, RotateRefreshTokens: true,
		}},
	})
}

// newApp builds the app for the authorization server as, served at base,
// keeping tokens in store.
func newApp(as *oauth2test.Server, store tokensource.Cache, base string, log *slog.Logger) *App {
	conf := &client.Config{
		ClientID: "webapp", ClientSecret: "webapp-secret",
		Endpoint:      as.Endpoint(),
		RedirectURL:   base + "/callback",
		RevocationURL: as.RevocationURL(),
		Scopes:        []string{"profile"},
	}
	return &App{
		conf: conf,
		users: conf.UserTokens(store, &client.UserTokensOptions{
			Options: tokensource.Options{Logger: log},
			OnRefresh: func(_ context.Context, userID string, _ *oauth2.Token) {
				log.Info("webapp: token renewed", "user", userID)
			},
		}),
		apiURL:   as.ResourceURL(),
		userInfo: as.ResourceURL(),
		sessions: newSessions(),
		logins:   newSessions(),
		log:      log,
	}
}
