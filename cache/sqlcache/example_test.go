package sqlcache_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/oauth2"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, "sqlite"

	"github.com/tokenward/tokenward/cache/sqlcache"
	"github.com/tokenward/tokenward/tokensource"
)

// Example keeps a token in a SQLite file, as a source would.
func Example() {
	dir, err := os.MkdirTemp("", "sqlcache-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "tokens.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	store, err := sqlcache.New(db, nil) // creates the tables
	if err != nil {
		log.Fatal(err)
	}

	// Normally tokensource.Options{Cache: store, CacheKey: ...} does this.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := store.Save(ctx, "user-1", []byte(`{"v":1}`), time.Time{}); err != nil {
		log.Fatal(err)
	}
	data, err := store.Load(ctx, "user-1")
	fmt.Printf("%s %v\n", data, err)
	missing, err := store.Load(ctx, "user-2")
	fmt.Println(missing == nil, err)
	// Output:
	// {"v":1} <nil>
	// true <nil>
}

// Example_tokenSource gives a source the Store as its cache: the token
// saved after a login is what the source serves and renews.
func Example_tokenSource() {
	dir, _ := os.MkdirTemp("", "sqlcache-example")
	defer os.RemoveAll(dir)
	db, _ := sql.Open("sqlite", "file:"+filepath.Join(dir, "tokens.db")+"?_pragma=busy_timeout(5000)")
	defer db.Close()
	store, err := sqlcache.New(db, &sqlcache.Options{Table: "user_tokens"})
	if err != nil {
		log.Fatal(err)
	}

	// After user-1 logs in, the app saves their token under their ID.
	ctx := context.Background()
	tok := &oauth2.Token{AccessToken: "at-1", RefreshToken: "rt-1", Expiry: time.Now().Add(time.Hour)}
	if err := tokensource.Save(ctx, store, "user-1", tok); err != nil {
		log.Fatal(err)
	}

	// Later, in any process sharing the database: the source loads it.
	// (A real app builds it with client.Config.TokenSource(nil, ...),
	// which renews with the refresh token.)
	src := tokensource.New(loginAgain{}, &tokensource.Options{Cache: store, CacheKey: "user-1"})
	got, err := src.TokenContext(ctx)
	fmt.Println(got.AccessToken, err)
	// Output: at-1 <nil>
}

// loginAgain is a source that cannot renew: the user must log in again.
type loginAgain struct{}

func (loginAgain) TokenContext(context.Context) (*oauth2.Token, error) {
	return nil, errors.New("log in again")
}

// Example_postgres opens PostgreSQL through pgx's database/sql driver.
// It needs a server, so it has no checked output.
func Example_postgres() {
	// import _ "github.com/jackc/pgx/v5/stdlib"
	db, err := sql.Open("pgx", "host=/run/postgresql dbname=app")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	store, err := sqlcache.New(db, &sqlcache.Options{Table: "auth.oauth_tokens", Timeout: 2 * time.Second})
	if err != nil {
		log.Print(err)
		return
	}
	unlock, err := store.Lock(context.Background(), "user-1", 0) // 0: tokensource.DefaultLockTTL
	if err != nil {
		log.Print(err)
		return
	}
	defer unlock()
}
