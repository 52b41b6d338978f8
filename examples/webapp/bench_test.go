package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache/sqlcache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/tokensource"
)

// countingStore counts the Loads that reach the database.
type countingStore struct {
	*sqlcache.Store
	loads atomic.Int64
}

func (s *countingStore) Load(ctx context.Context, key string) ([]byte, error) {
	s.loads.Add(1)
	return s.Store.Load(ctx, key)
}

// BenchmarkUserTokensSQLite: 100,000 users in a SQLite file, 10,000
// resident. A cold load (a user not in memory) reads one row; a warm
// lookup reads none.
func BenchmarkUserTokensSQLite(b *testing.B) {
	const stored, resident = 100_000, 10_000
	db, err := openDB(filepath.Join(b.TempDir(), "tokens.db"), "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	st, err := sqlcache.New(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	store := &countingStore{Store: st}
	conf := &client.Config{ClientID: "webapp", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: "http://127.0.0.1:1/token"}}
	users := conf.UserTokens(store, &client.UserTokensOptions{MaxResident: resident, Options: tokensource.Options{Logger: slog.New(slog.DiscardHandler)}})
	ctx := context.Background()
	id := func(i int) string { return "user-" + strconv.Itoa(i) + "@example.com" }
	for i := range stored {
		tok := &oauth2.Token{AccessToken: fmt.Sprintf("at-%040d", i), TokenType: "Bearer", RefreshToken: fmt.Sprintf("rt-%040d", i), Expiry: time.Now().Add(time.Hour)}
		if err := users.Save(ctx, id(i), tok); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("op=cold-load", func(b *testing.B) {
		next := 0
		for b.Loop() {
			if _, err := users.Source(id(next % stored)).TokenContext(ctx); err != nil {
				b.Fatal(err)
			}
			next++
		}
	})
	b.Run("op=warm-source", func(b *testing.B) {
		for i := range resident {
			if _, err := users.Source(id(i)).TokenContext(ctx); err != nil {
				b.Fatal(err)
			}
		}
		loads := store.loads.Load()
		i, n := 0, 0
		for b.Loop() {
			if _, err := users.Source(id(i % resident)).TokenContext(ctx); err != nil {
				b.Fatal(err)
			}
			i++
			n++
		}
		b.ReportMetric(float64(store.loads.Load()-loads)/float64(n), "store-queries/op")
	})
}
