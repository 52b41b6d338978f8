package sqlcache_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/tokenward/tokenward/cache/sqlcache"
	"github.com/tokenward/tokenward/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var bg = context.Background()

// sqliteDSN is the DSN of a SQLite file as several processes should open
// it: WAL, so readers do not wait for the writer, and a busy timeout.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
}

func openDB(t testing.TB, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("ping %s: %v", driver, err)
	}
	return db
}

// backend opens a fresh database of one dialect for a test.
type backend struct {
	name string
	open func(t testing.TB) *sql.DB
	// dsn returns a DSN that other processes can open, and its driver.
	dsn func(t testing.TB) (driver, dsn string)
}

func sqliteFile(t testing.TB) (string, string) {
	return "sqlite", sqliteDSN(filepath.Join(t.TempDir(), "tokens.db"))
}

func postgresSchema(t testing.TB) (string, string) { return "pgx", testenv.Postgres(t) }

var backends = []backend{
	{name: "SQLite", dsn: sqliteFile},
	{name: "Postgres", dsn: postgresSchema},
}

func init() {
	for i := range backends {
		b := &backends[i]
		b.open = func(t testing.TB) *sql.DB {
			t.Helper()
			driver, dsn := b.dsn(t)
			return openDB(t, driver, dsn)
		}
	}
}

// eachBackend runs f as a subtest per dialect.
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

func newStore(t testing.TB, db *sql.DB, opts *sqlcache.Options) *sqlcache.Store {
	t.Helper()
	if opts == nil {
		opts = &sqlcache.Options{LockRetry: 5 * time.Millisecond}
	}
	s, err := sqlcache.New(db, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}
