package sqlcache_test

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tokenward/tokenward/cache/sqlcache"
)

func TestTableNames(t *testing.T) {
	db := backends[0].open(t)
	tests := []struct {
		table string
		ok    bool
	}{
		{"", true}, // DefaultTable
		{"tokens", true},
		{"select", true}, // a reserved word works: names are quoted
		{"main.tokens_2", true},
		{strings.Repeat("t", 57), true},
		{strings.Repeat("t", 58), false},
		{"Tokens", false},
		{"tokens; DROP TABLE x", false},
		{`tok"ens`, false},
		{"a.b.c", false},
		{"1tokens", false},
		{"tökens", false},
	}
	for _, tt := range tests {
		_, err := sqlcache.New(db, &sqlcache.Options{Table: tt.table})
		if got := err == nil; got != tt.ok {
			t.Errorf("New with Table %q: err = %v; want ok = %t", tt.table, err, tt.ok)
		}
	}
}

func TestSchemaCreated(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		db := b.open(t)
		newStore(t, db, nil)
		var v int
		if err := db.QueryRow(`SELECT version FROM tokenward_tokens_schema`).Scan(&v); err != nil || v != sqlcache.SchemaVersion {
			t.Fatalf("schema version row = %d, %v; want %d", v, err, sqlcache.SchemaVersion)
		}
		// Documented columns, in a query a user or a migration would write.
		if _, err := db.Exec(`SELECT key, data, expires_at, updated_at FROM tokenward_tokens`); err != nil {
			t.Errorf("documented columns: %v", err)
		}
		// A second New (another process starting) reuses the tables and
		// adds no second version row.
		newStore(t, db, nil)
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM tokenward_tokens_schema`).Scan(&n); err != nil || n != 1 {
			t.Errorf("version rows after a second New = %d, %v; want 1", n, err)
		}
	})
}

// TestSchemaConcurrentNew: processes starting at once all get a Store.
func TestSchemaConcurrentNew(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		driver, dsn := b.dsn(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			db := openDB(t, driver, dsn) // a pool each, as separate processes have
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := sqlcache.New(db, &sqlcache.Options{Table: "racing"}); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent New: %v", err)
		}
	})
}

func TestSchemaNewerVersion(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		db := b.open(t)
		newStore(t, db, nil)
		if _, err := db.Exec(`UPDATE tokenward_tokens_schema SET version = 2`); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlcache.New(db, nil); !errors.Is(err, sqlcache.ErrSchemaVersion) {
			t.Errorf("New on a version-2 table: %v; want ErrSchemaVersion", err)
		}
	})
}

// TestSchemaByMigrationTool: tables made by hand from the documented
// statements (as a migration tool would) are accepted as they are.
func TestSchemaByMigrationTool(t *testing.T) {
	db := backends[1].open(t)
	for _, stmt := range []string{
		`CREATE TABLE tokenward_tokens (key TEXT NOT NULL PRIMARY KEY, data BYTEA NOT NULL, expires_at TIMESTAMPTZ, updated_at TIMESTAMPTZ NOT NULL)`,
		`CREATE TABLE tokenward_tokens_schema (version INTEGER NOT NULL)`,
		`INSERT INTO tokenward_tokens_schema VALUES (1)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	s := newStore(t, db, nil)
	if err := s.Save(bg, "k", []byte("v"), zeroTime); err != nil {
		t.Fatal(err)
	}
}

type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) { return nil, errors.New("fake") }

func TestDialectDetection(t *testing.T) {
	sql.Register("sqlcache-fake", fakeDriver{})
	db, _ := sql.Open("sqlcache-fake", "")
	defer db.Close()
	_, err := sqlcache.New(db, nil)
	if err == nil || !strings.Contains(err.Error(), "Options.Dialect") {
		t.Errorf("New with an unknown driver: %v; want an error that names Options.Dialect", err)
	}
	if _, err := sqlcache.New(db, &sqlcache.Options{Dialect: "oracle"}); err == nil {
		t.Error("New with Dialect oracle succeeded")
	}
	// An explicit dialect that matches works.
	sqlite := backends[0].open(t)
	if _, err := sqlcache.New(sqlite, &sqlcache.Options{Dialect: sqlcache.SQLite}); err != nil {
		t.Errorf("explicit SQLite: %v", err)
	}
}
