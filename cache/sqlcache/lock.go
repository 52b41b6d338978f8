package sqlcache

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/tokenward/tokenward/tokensource"
)

// unlockTimeout bounds the statement that releases a lock. If it fails,
// the lock still ends: on PostgreSQL the session that holds it is closed,
// on SQLite the row expires.
const unlockTimeout = 5 * time.Second

// Lock takes the cross-process lock for key, waiting until it is free or
// ctx is done. ttl is a lease (tokensource.DefaultLockTTL when zero or
// less), counted from the moment the lock is taken: the lock is held
// until unlock is called or ttl has passed, whichever comes first, and
// never ends earlier, except on PostgreSQL when the connection holding it
// is lost (the server ends the session and its lock). unlock is safe to
// call more than once and after the lease has ended; it never releases a
// later holder's lock.
//
// On PostgreSQL the lock is a session advisory lock
// (pg_try_advisory_lock on a 64-bit hash of the table name and key) on a
// connection of its own, taken from db for the lease and given back by
// unlock; a timer releases it when the lease ends. A process that dies
// loses its lock at once, with its connection. On SQLite it is a row of
// Table+"_locks" with an expiry, written in a BEGIN IMMEDIATE transaction
// that checks and takes it atomically; an expired row is taken over, and
// unlock deletes the row only while it still holds this holder's random
// token. The lock of a process that dies ends with its lease.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error) {
	if ttl <= 0 {
		ttl = tokensource.DefaultLockTTL
	}
	if s.dialect == Postgres {
		return s.lockPostgres(ctx, key, ttl)
	}
	return s.lockSQLite(ctx, key, ttl)
}

// lockID is the advisory lock ID of key: the first 8 bytes of a SHA-256
// of the table name and key. Two keys that collide share a lock, which
// costs waiting, never correctness.
func (s *Store) lockID(key string) int64 {
	sum := sha256.Sum256([]byte("tokenward sqlcache\x00" + s.tables.name + "\x00" + key))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// pause waits LockRetry × [0.5, 1.5) or until ctx is done.
func (s *Store) pause(ctx context.Context) error {
	t := time.NewTimer(s.retry/2 + time.Duration(mrand.Int64N(int64(s.retry))))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lease is a held lock: release runs once, on the first of unlock and,
// when timed, the end of the lease.
type lease struct {
	once    sync.Once
	release func()
	timer   *time.Timer // nil when the lock expires by itself
}

func newLease(release func(), ttl time.Duration, timed bool) *lease {
	l := &lease{release: release}
	if timed {
		// The timer ends when it fires or is stopped by unlock.
		l.timer = time.AfterFunc(ttl, l.end)
	}
	return l
}

func (l *lease) end() { l.once.Do(l.release) }

func (l *lease) unlock() {
	if l.timer != nil {
		l.timer.Stop()
	}
	l.end()
}

// discard closes conn instead of returning it to the pool: its session
// may hold a lock or an open transaction that must not outlive it.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED: the
// database's write lock is held by another connection.
func isBusy(err error) bool {
	var coder interface{ Code() int }
	if errors.As(err, &coder) {
		switch coder.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

func containsFold(s, sub string) bool { return strings.Contains(strings.ToLower(s), sub) }
