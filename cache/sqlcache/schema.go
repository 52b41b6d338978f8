package sqlcache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SchemaVersion is the version of the tables this package creates and
// reads; it is stored in the Table+"_schema" table.
const SchemaVersion = 1

// ensureSchema checks the schema version and, when the tables are absent,
// creates them. Creation is serialized, so that Stores starting at once in
// several processes do not trip over each other: by a transaction-scoped
// advisory lock on PostgreSQL, by BEGIN IMMEDIATE on SQLite.
func (s *Store) ensureSchema(ctx context.Context) error {
	if v, err := s.version(ctx, s.db); err == nil && v != 0 {
		return checkVersion(v)
	}
	return s.inWriteTx(ctx, func(ctx context.Context, tx execQueryer) error {
		if s.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, s.lockID("\x00schema")); err != nil {
				return err
			}
		}
		for _, stmt := range []string{s.q.createTokens, s.q.createSchema, s.q.createLocks} {
			if stmt == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		v, err := s.version(ctx, tx)
		if err != nil {
			return err
		}
		if v == 0 {
			_, err = tx.ExecContext(ctx, s.q.setVersion, SchemaVersion)
			return err
		}
		return checkVersion(v)
	})
}

func checkVersion(v int64) error {
	if v > SchemaVersion {
		return fmt.Errorf("%w: the table is at version %d, this package knows %d", ErrSchemaVersion, v, SchemaVersion)
	}
	// Versions below SchemaVersion would be migrated here; 1 is the first.
	return nil
}

// execQueryer is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type execQueryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// version is the schema version, 0 when the schema table is empty.
func (s *Store) version(ctx context.Context, q execQueryer) (int64, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, s.q.version).Scan(&v); err != nil {
		return 0, err
	}
	return v.Int64, nil
}

// inWriteTx runs f in a transaction that holds the database's write lock
// from its start on SQLite (BEGIN IMMEDIATE), and in a plain transaction on
// PostgreSQL, and commits it if f succeeds.
func (s *Store) inWriteTx(ctx context.Context, f func(context.Context, execQueryer) error) error {
	if s.dialect == Postgres {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return wrap(ctx, "create tables", err)
		}
		if err := f(ctx, tx); err != nil {
			tx.Rollback()
			if errors.Is(err, ErrSchemaVersion) {
				return err
			}
			return wrap(ctx, "create tables", err)
		}
		if err := tx.Commit(); err != nil {
			return wrap(ctx, "create tables", err)
		}
		return nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return wrap(ctx, "create tables", err)
	}
	defer conn.Close()
	for {
		err := s.immediate(ctx, conn, func() error { return f(ctx, conn) })
		if err == nil || !isBusy(err) {
			if errors.Is(err, ErrSchemaVersion) {
				return err
			}
			if err != nil {
				return wrap(ctx, "create tables", err)
			}
			return nil
		}
		if err := s.pause(ctx); err != nil {
			return wrap(ctx, "create tables: waiting for the database's write lock", err)
		}
	}
}
