package sqlcache_test

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache/sqlcache"
)

// benchRows is the number of users in the store (issue 12's scale).
const benchRows = 100_000

// fill inserts benchRows rows of 600 bytes (about a sealed token record)
// in one statement.
func fill(b *testing.B, db *sql.DB, name string) {
	b.Helper()
	q := `INSERT INTO tokenward_tokens (key, data, expires_at, updated_at)
SELECT 'user-' || g, convert_to(repeat('x', 600), 'UTF8'), NULL, now() FROM generate_series(0, $1 - 1) g`
	if name == "SQLite" {
		q = `WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < ? - 1)
INSERT INTO tokenward_tokens (key, data, expires_at, updated_at) SELECT 'user-' || n, randomblob(600), NULL, 0 FROM g`
	}
	if _, err := db.Exec(q, benchRows); err != nil {
		b.Fatal(err)
	}
	if name == "Postgres" {
		db.Exec(`ANALYZE tokenward_tokens`)
	}
}

// BenchmarkStore measures a warm Load (a hit), a Save (an update of an
// existing row) and a Lock+unlock, with benchRows rows in the table.
func BenchmarkStore(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			db := be.open(b)
			s, err := sqlcache.New(db, nil)
			if err != nil {
				b.Fatal(err)
			}
			fill(b, db, be.name)
			data := make([]byte, 600)
			b.Run("Load", func(b *testing.B) {
				i := 0
				for b.Loop() {
					got, err := s.Load(bg, fmt.Sprint("user-", (i*7919)%benchRows))
					if err != nil || got == nil {
						b.Fatalf("Load = %d bytes, %v", len(got), err)
					}
					i++
				}
			})
			b.Run("Save", func(b *testing.B) {
				i := 0
				for b.Loop() {
					if err := s.Save(bg, fmt.Sprint("user-", (i*7919)%benchRows), data, time.Time{}); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			b.Run("LockUnlock", func(b *testing.B) {
				i := 0
				for b.Loop() {
					unlock, err := s.Lock(bg, fmt.Sprint("user-", i%benchRows), time.Second)
					if err != nil {
						b.Fatal(err)
					}
					unlock()
					i++
				}
			})
		})
	}
}
