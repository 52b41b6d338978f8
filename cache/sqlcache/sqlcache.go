package sqlcache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/tokenward/tokenward/tokensource"
)

// Defaults for [Options].
const (
	// DefaultTable is the name of the table of tokens.
	DefaultTable = "tokenward_tokens"
	// DefaultTimeout bounds each call (Load, Save, Delete, one lock
	// attempt, the schema check in New) when the caller's context allows
	// longer, so that a database that hangs costs a bounded wait.
	DefaultTimeout = 5 * time.Second
	// DefaultLockRetry is the pause between attempts to take a lock held
	// by someone else, jittered to between 0.5 and 1.5 times its value.
	DefaultLockRetry = 25 * time.Millisecond
)

// Dialect names the SQL spoken by the database.
type Dialect string

// The dialects the Store speaks.
const (
	// Postgres is PostgreSQL (drivers: github.com/jackc/pgx/v5/stdlib,
	// github.com/lib/pq).
	Postgres Dialect = "postgres"
	// SQLite is SQLite 3.24 or later (drivers: modernc.org/sqlite,
	// github.com/mattn/go-sqlite3, github.com/ncruces/go-sqlite3).
	SQLite Dialect = "sqlite"
)

// ErrSchemaVersion is returned by [New] when the table was created by a
// newer version of this package, whose rows this one may not understand.
var ErrSchemaVersion = errors.New("sqlcache: the table's schema is newer than this version of sqlcache knows")

// Options configure a [Store]. The zero value (or a nil *Options) means
// defaults.
type Options struct {
	// Table is the name of the table of tokens (DefaultTable when empty):
	// lower-case letters, digits and underscores, at most 57 of them,
	// optionally qualified by a schema that exists ("auth.tokens"; on
	// SQLite the name of an attached database). The Store also
	// uses Table+"_schema" and, on SQLite, Table+"_locks".
	Table string
	// Dialect is the database's SQL dialect. When empty it is detected
	// from the driver of the *sql.DB.
	Dialect Dialect
	// Timeout bounds each database call (DefaultTimeout when zero).
	Timeout time.Duration
	// LockRetry is the pause between attempts to take a held lock
	// (DefaultLockRetry when zero).
	LockRetry time.Duration
}

// Store is a tokensource.Cache and tokensource.Locker on a SQL database.
// It is safe for concurrent use, also by several processes sharing the
// database. Create it with [New].
type Store struct {
	db      *sql.DB
	dialect Dialect
	timeout time.Duration
	retry   time.Duration
	tables  tables
	q       queries
	now     func() time.Time // tests replace it
}

var (
	_ tokensource.Cache  = (*Store)(nil)
	_ tokensource.Locker = (*Store)(nil)
)

// New returns a Store that keeps tokens in db, creating its tables if they
// do not exist (see the package documentation for the schema). The
// dialect is detected from db's driver unless opts sets it. A nil opts
// means defaults. The Store does not own db; closing it is the caller's
// job. New's own database work is bounded by Options.Timeout.
//
// On PostgreSQL a held lock occupies one of db's connections until it is
// released, so db must allow at least two open connections.
func New(db *sql.DB, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Table == "" {
		o.Table = DefaultTable
	}
	t, err := tableNames(o.Table)
	if err != nil {
		return nil, err
	}
	if o.Dialect == "" {
		if o.Dialect, err = detect(db); err != nil {
			return nil, err
		}
	}
	if o.Dialect != Postgres && o.Dialect != SQLite {
		return nil, fmt.Errorf("sqlcache: unknown dialect %q", o.Dialect)
	}
	if o.Dialect == Postgres && db.Stats().MaxOpenConnections == 1 {
		return nil, errors.New("sqlcache: on PostgreSQL a held lock occupies a connection, so the *sql.DB must allow at least 2 open connections")
	}
	s := &Store{db: db, dialect: o.Dialect, timeout: o.Timeout, retry: o.LockRetry, tables: t, now: time.Now}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.retry <= 0 {
		s.retry = DefaultLockRetry
	}
	s.q = buildQueries(s.dialect, t)
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// tables are the quoted names of the Store's tables.
type tables struct {
	tokens, schema, locks string
	name                  string // Options.Table as given, for lock IDs
}

var identRE = regexp.MustCompile(`^(?:([a-z_][a-z0-9_]{0,62})\.)?([a-z_][a-z0-9_]{0,56})$`)

// tableNames validates name and returns the quoted table names. Quoting
// lets a name that is a reserved word work; validation keeps every name
// out of reach of injection.
func tableNames(name string) (tables, error) {
	m := identRE.FindStringSubmatch(name)
	if m == nil {
		return tables{}, fmt.Errorf("sqlcache: invalid table name %q: want lower-case letters, digits and underscores (at most 57), optionally after a schema name and a dot", name)
	}
	prefix := ""
	if m[1] != "" {
		prefix = `"` + m[1] + `".`
	}
	q := func(suffix string) string { return prefix + `"` + m[2] + suffix + `"` }
	return tables{tokens: q(""), schema: q("_schema"), locks: q("_locks"), name: name}, nil
}

// detect tells the dialect from the package of db's driver.
func detect(db *sql.DB) (Dialect, error) {
	t := reflect.TypeOf(db.Driver())
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	p := t.PkgPath()
	switch {
	case strings.HasPrefix(p, "github.com/jackc/pgx/"), p == "github.com/lib/pq":
		return Postgres, nil
	case p == "modernc.org/sqlite", strings.HasPrefix(p, "github.com/mattn/go-sqlite3"), strings.HasPrefix(p, "github.com/ncruces/go-sqlite3"):
		return SQLite, nil
	}
	return "", fmt.Errorf("sqlcache: cannot tell the SQL dialect of driver %s.%s; set Options.Dialect", p, t.Name())
}

// call derives the context of one database call: ctx bounded by the
// Store's timeout.
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// wrap turns a database error into a sqlcache error. When ctx is done the
// result also matches ctx.Err() with errors.Is, whatever the driver made
// of the cancellation.
func wrap(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("sqlcache: %s: %w (%w)", op, err, cerr)
	}
	return fmt.Errorf("sqlcache: %s: %w", op, err)
}
