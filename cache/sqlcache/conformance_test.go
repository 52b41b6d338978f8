package sqlcache_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/cache/cachetest"
	"github.com/tokenward/tokenward/cache/sqlcache"
	"github.com/tokenward/tokenward/tokensource"
)

func TestConformance(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		db := b.open(t)
		n := 0
		cachetest.Run(t, func(t *testing.T) tokensource.Cache {
			n++ // a table per subtest: one database, fresh state
			return newStore(t, db, &sqlcache.Options{Table: fmt.Sprintf("conformance_%d", n), LockRetry: 5 * time.Millisecond})
		})
	})
}

func TestConformanceDefaults(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		cachetest.Run(t, func(t *testing.T) tokensource.Cache {
			s, err := sqlcache.New(b.open(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

// TestConformanceSQLitePoolOfOne: SQLite programs often allow a single
// connection; the Store's lock holds none between its statements, so the
// suite (locks included) passes on such a pool.
func TestConformanceSQLitePoolOfOne(t *testing.T) {
	db := backends[0].open(t)
	db.SetMaxOpenConns(1)
	n := 0
	cachetest.Run(t, func(t *testing.T) tokensource.Cache {
		n++
		return newStore(t, db, &sqlcache.Options{Table: fmt.Sprintf("single_%d", n), LockRetry: 5 * time.Millisecond})
	})
}

// TestSealed: the Store under cache.NewSealed passes the suite and keeps
// only ciphertext in the table.
func TestSealed(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	eachBackend(t, func(t *testing.T, b backend) {
		db := b.open(t)
		n := 0
		cachetest.Run(t, func(t *testing.T) tokensource.Cache {
			n++
			sealed, err := cache.NewSealed(newStore(t, db, &sqlcache.Options{Table: fmt.Sprintf("sealed_%d", n), LockRetry: 5 * time.Millisecond}), key)
			if err != nil {
				t.Fatal(err)
			}
			return sealed
		})

		store := newStore(t, db, &sqlcache.Options{Table: "sealed_raw"})
		sealed, _ := cache.NewSealed(store, key)
		secret := []byte(`{"access_token":"at-%3d+/secret","refresh_token":"rt-secret"}`)
		if err := sealed.Save(bg, "user-1", secret, time.Time{}); err != nil {
			t.Fatal(err)
		}
		var raw []byte
		if err := db.QueryRow(`SELECT data FROM sealed_raw`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("secret")) {
			t.Errorf("the row holds plaintext %q; want ciphertext", raw)
		}
		if got, err := sealed.Load(bg, "user-1"); err != nil || !bytes.Equal(got, secret) {
			t.Errorf("sealed Load = %q, %v; want the saved value", got, err)
		}
	})
}
