package sqlcache

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// lockSQLite takes the lock row for key, retrying while it is held by a
// live lease or the database's write lock is busy.
func (s *Store) lockSQLite(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("sqlcache: lock token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	for {
		if err := ctx.Err(); err != nil {
			return nil, wrap(ctx, "waiting for lock", err)
		}
		got, err := s.tryLockRow(ctx, key, token, ttl)
		if err != nil && !isBusy(err) {
			return nil, wrap(ctx, "lock", err)
		}
		if got {
			base := context.WithoutCancel(ctx) // keeps ctx's values (tracing), not its end
			l := newLease(func() { s.releaseRow(base, key, token) }, ttl, false)
			return l.unlock, nil
		}
		if err := s.pause(ctx); err != nil {
			return nil, wrap(ctx, "waiting for lock", err)
		}
	}
}

// tryLockRow makes one attempt: in one BEGIN IMMEDIATE transaction, it
// reads the lock row and, if there is none or it has expired, writes its
// own with an expiry ttl from now.
func (s *Store) tryLockRow(ctx context.Context, key, token string, ttl time.Duration) (got bool, err error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	err = s.immediate(ctx, conn, func() error {
		var exp int64
		err := conn.QueryRowContext(ctx, s.q.lockRead, key).Scan(&exp)
		now := s.now()
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case now.UnixMilli() < exp:
			return errHeld
		}
		_, err = conn.ExecContext(ctx, s.q.lockWrite, key, token, now.Add(ttl).UnixMilli())
		return err
	})
	if errors.Is(err, errHeld) {
		return false, nil
	}
	return err == nil, err
}

// errHeld aborts the transaction of a lock attempt that found the lock
// held.
var errHeld = errors.New("sqlcache: lock held")

// immediate runs f inside BEGIN IMMEDIATE ... COMMIT on conn, rolling back
// when f fails. A connection whose transaction cannot be ended is closed
// rather than given back to the pool inside it.
func (s *Store) immediate(ctx context.Context, conn *sql.Conn, f func() error) error {
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		// A BEGIN that failed may still have opened the transaction.
		s.rollback(conn)
		return err
	}
	if err := f(); err != nil {
		s.rollback(conn)
		return err
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		s.rollback(conn)
		return err
	}
	return nil
}

// rollback ends conn's transaction, if any; if it cannot, conn is
// discarded.
func (s *Store) rollback(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil && !noTransaction(err) {
		discard(conn)
	}
}

// noTransaction reports whether err says there was no transaction to roll
// back, which is what rollback wanted.
func noTransaction(err error) bool {
	return err != nil && containsFold(err.Error(), "no transaction is active")
}

// releaseRow deletes the lock row if it still holds token.
func (s *Store) releaseRow(base context.Context, key, token string) {
	ctx, cancel := context.WithTimeout(base, unlockTimeout)
	defer cancel()
	_, _ = s.db.ExecContext(ctx, s.q.lockRelease, key, token)
}
