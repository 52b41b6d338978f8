package sqlcache

import (
	"context"
	"database/sql"
	"time"
)

// lockPostgres polls pg_try_advisory_lock, each attempt on a connection
// from the pool that goes back to it when the lock is busy, so waiters do
// not hold connections.
func (s *Store) lockPostgres(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	id := s.lockID(key)
	for {
		if err := ctx.Err(); err != nil {
			return nil, wrap(ctx, "waiting for lock", err)
		}
		got, conn, err := s.tryAdvisory(ctx, id)
		if err != nil {
			return nil, wrap(ctx, "lock", err)
		}
		if got {
			base := context.WithoutCancel(ctx) // keeps ctx's values (tracing), not its end
			l := newLease(func() { s.releaseAdvisory(base, conn, id) }, ttl, true)
			return l.unlock, nil
		}
		if err := s.pause(ctx); err != nil {
			return nil, wrap(ctx, "waiting for lock", err)
		}
	}
}

// tryAdvisory makes one attempt; when it got the lock it returns the
// connection whose session holds it.
func (s *Store) tryAdvisory(ctx context.Context, id int64) (got bool, _ *sql.Conn, _ error) {
	cctx, cancel := s.call(ctx)
	defer cancel()
	conn, err := s.db.Conn(cctx)
	if err != nil {
		return false, nil, err
	}
	if err := conn.QueryRowContext(cctx, `SELECT pg_try_advisory_lock($1)`, id).Scan(&got); err != nil {
		// The lock may have been taken before the error (a reply lost to
		// a cancellation): end the session so it cannot keep it.
		discard(conn)
		return false, nil, err
	}
	if !got {
		conn.Close()
		return false, nil, nil
	}
	return true, conn, nil
}

// releaseAdvisory unlocks id and gives conn back to the pool; if the
// unlock fails, it closes conn, and its session's locks end with it.
func (s *Store) releaseAdvisory(base context.Context, conn *sql.Conn, id int64) {
	ctx, cancel := context.WithTimeout(base, unlockTimeout)
	defer cancel()
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, id).Scan(&ok); err != nil || !ok {
		discard(conn)
		return
	}
	conn.Close()
}
