package sqlcache_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache/sqlcache"
	"github.com/tokenward/tokenward/tokensource"
)

// tryLock reports whether the lock for key can be taken within d (and
// releases it if so).
func tryLock(t *testing.T, s *sqlcache.Store, key string, d time.Duration) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(bg, d)
	defer cancel()
	unlock, err := s.Lock(ctx, key, time.Second)
	if err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock: %v; want it to wait until its context ends", err)
		}
		return false
	}
	unlock()
	return true
}

// TestLeaseEndsAtTTLNotBefore: the lock is held until its lease ends
// (never earlier) and free right after, when the holder never unlocks.
func TestLeaseEndsAtTTLNotBefore(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newStore(t, b.open(t), nil)
		const ttl = 1500 * time.Millisecond
		start := time.Now()
		if _, err := s.Lock(bg, "lease", ttl); err != nil {
			t.Fatal(err)
		}
		if tryLock(t, s, "lease", ttl-400*time.Millisecond) {
			t.Fatalf("lock taken %v after a %v lease began; want it held until the lease ends", time.Since(start), ttl)
		}
		ctx, cancel := context.WithTimeout(bg, ttl+2*time.Second)
		defer cancel()
		unlock, err := s.Lock(ctx, "lease", ttl)
		if err != nil {
			t.Fatalf("Lock after the lease ended: %v", err)
		}
		unlock()
		if got := time.Since(start); got < ttl || got > ttl+700*time.Millisecond {
			t.Errorf("second holder got the lock %v after the first; want just after the %v lease", got, ttl)
		}
	})
}

// TestUnlockAfterLeaseKeepsNextHolder: a holder whose lease ended cannot
// release the lock of the one that took over.
func TestUnlockAfterLeaseKeepsNextHolder(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newStore(t, b.open(t), nil)
		first, err := s.Lock(bg, "k", 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(bg, 3*time.Second)
		defer cancel()
		second, err := s.Lock(ctx, "k", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		first() // late: the lease is over
		first()
		if tryLock(t, s, "k", 300*time.Millisecond) {
			t.Fatal("a late unlock of an ended lease released the next holder's lock")
		}
		second()
		if !tryLock(t, s, "k", 2*time.Second) {
			t.Fatal("lock not free after the holder's unlock")
		}
	})
}

// TestLockDefaultTTL: ttl <= 0 means tokensource.DefaultLockTTL, not
// "forever" and not "at once".
func TestLockDefaultTTL(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		db := b.open(t)
		s := newStore(t, db, nil)
		unlock, err := s.Lock(bg, "default", 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		if tryLock(t, s, "default", 500*time.Millisecond) {
			t.Fatal("a lock taken with ttl 0 was free at once")
		}
		if b.name == "SQLite" {
			var exp int64
			if err := db.QueryRow(`SELECT expires_at FROM tokenward_tokens_locks`).Scan(&exp); err != nil {
				t.Fatal(err)
			}
			lease := time.Until(time.UnixMilli(exp))
			if lease < tokensource.DefaultLockTTL-2*time.Second || lease > tokensource.DefaultLockTTL {
				t.Errorf("lease of a ttl-0 lock ends in %v; want about tokensource.DefaultLockTTL (%v)", lease, tokensource.DefaultLockTTL)
			}
		}
	})
}

// TestLockHonoursContext: a waiter gives up when its context ends, and a
// canceled waiter leaves no lock behind.
func TestLockHonoursContext(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newStore(t, b.open(t), nil)
		unlock, err := s.Lock(bg, "ctx", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(bg)
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err = s.Lock(ctx, "ctx", time.Second)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Lock with a canceled context: %v; want context.Canceled", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Lock returned %v after its context was canceled; want promptly", d)
		}
		unlock()
		// Many waiters that give up must not leave a lock or exhaust the pool.
		var taken atomic.Int32
		for range 20 {
			ctx, cancel := context.WithTimeout(bg, time.Millisecond)
			if u, err := s.Lock(ctx, "ctx", time.Second); err == nil {
				taken.Add(1)
				u()
			}
			cancel()
		}
		if !tryLock(t, s, "ctx", 2*time.Second) {
			t.Fatal("lock not free after canceled waiters")
		}
	})
}

// TestPostgresPoolOfOne: a held lock occupies a connection, so a pool of
// one would wedge the holder's own Load; New refuses it.
func TestPostgresPoolOfOne(t *testing.T) {
	db := backends[1].open(t)
	db.SetMaxOpenConns(1)
	if _, err := sqlcache.New(db, nil); err == nil {
		t.Fatal("New on a PostgreSQL pool of one connection succeeded; want an error")
	}
	db.SetMaxOpenConns(2)
	s := newStore(t, db, nil)
	unlock, err := s.Lock(bg, "k", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if err := s.Save(bg, "k", []byte("v"), time.Time{}); err != nil {
		t.Fatalf("Save while holding the lock, pool of 2: %v", err)
	}
}

// TestPostgresLockReleasedWithConnection: a session advisory lock ends
// with its session, so closing the holder's pool frees it at once.
func TestPostgresLockReleasedWithConnection(t *testing.T) {
	_, dsn := backends[1].dsn(t)
	holder := newStore(t, openDB(t, "pgx", dsn), nil)
	if _, err := holder.Lock(bg, "conn", time.Minute); err != nil {
		t.Fatal(err)
	}
	other := newStore(t, openDB(t, "pgx", dsn), nil)
	if tryLock(t, other, "conn", 200*time.Millisecond) {
		t.Fatal("lock free while held")
	}
	// The holder's session ends, as when its process dies or its
	// connection breaks.
	if _, err := openDB(t, "pgx", dsn).Exec(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if !tryLock(t, other, "conn", 2*time.Second) {
		t.Fatal("lock still held after its session ended")
	}
	t.Logf("lock free %v after its session was terminated", time.Since(start))
}
