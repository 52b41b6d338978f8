package sqlcache

import (
	"database/sql"
	"strconv"
	"time"
)

// queries are the Store's statements in its dialect.
type queries struct {
	createTokens, createSchema, createLocks string // createLocks is empty on PostgreSQL
	version, setVersion                     string
	load, save, remove, removeExpired       string
	lockRead, lockWrite, lockRelease        string // SQLite's lock table
}

func buildQueries(d Dialect, t tables) queries {
	ph := func(n int) string { return "?" }
	blob, ts := "BLOB", "INTEGER" // SQLite: times are Unix milliseconds
	if d == Postgres {
		ph = func(n int) string { return "$" + strconv.Itoa(n) }
		blob, ts = "BYTEA", "TIMESTAMPTZ"
	}
	q := queries{
		createTokens: `CREATE TABLE IF NOT EXISTS ` + t.tokens + ` (
	key TEXT NOT NULL PRIMARY KEY,
	data ` + blob + ` NOT NULL,
	expires_at ` + ts + `,
	updated_at ` + ts + ` NOT NULL
)`,
		createSchema: `CREATE TABLE IF NOT EXISTS ` + t.schema + ` (version INTEGER NOT NULL)`,
		version:      `SELECT MAX(version) FROM ` + t.schema,
		setVersion:   `INSERT INTO ` + t.schema + ` (version) VALUES (` + ph(1) + `)`,
		load:         `SELECT data, expires_at FROM ` + t.tokens + ` WHERE key = ` + ph(1),
		save: `INSERT INTO ` + t.tokens + ` (key, data, expires_at, updated_at) VALUES (` + ph(1) + `, ` + ph(2) + `, ` + ph(3) + `, ` + ph(4) + `)
ON CONFLICT (key) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
		remove:        `DELETE FROM ` + t.tokens + ` WHERE key = ` + ph(1),
		removeExpired: `DELETE FROM ` + t.tokens + ` WHERE key = ` + ph(1) + ` AND expires_at <= ` + ph(2),
	}
	if d == SQLite {
		q.createLocks = `CREATE TABLE IF NOT EXISTS ` + t.locks + ` (
	key TEXT NOT NULL PRIMARY KEY,
	token TEXT NOT NULL,
	expires_at INTEGER NOT NULL
)`
		q.lockRead = `SELECT expires_at FROM ` + t.locks + ` WHERE key = ?`
		q.lockWrite = `INSERT INTO ` + t.locks + ` (key, token, expires_at) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at`
		q.lockRelease = `DELETE FROM ` + t.locks + ` WHERE key = ? AND token = ?`
	}
	return q
}

// timeArg is the value stored in a time column for t (NULL for the zero
// time): a time.Time on PostgreSQL, Unix milliseconds on SQLite.
func (s *Store) timeArg(t time.Time) any {
	switch {
	case t.IsZero():
		return nil
	case s.dialect == Postgres:
		return t
	default:
		return t.UnixMilli()
	}
}

// expiry is the destination of a nullable time column in a Scan.
type expiry struct {
	pg     sql.NullTime
	sqlite sql.NullInt64
}

func (s *Store) scanDest(e *expiry) any {
	if s.dialect == Postgres {
		return &e.pg
	}
	return &e.sqlite
}

// time returns the scanned time, zero for NULL.
func (e *expiry) time() time.Time {
	switch {
	case e.pg.Valid:
		return e.pg.Time
	case e.sqlite.Valid:
		return time.UnixMilli(e.sqlite.Int64)
	}
	return time.Time{}
}
