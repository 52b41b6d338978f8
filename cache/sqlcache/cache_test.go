package sqlcache_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/tokenward/tokenward/internal/record"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache/sqlcache"
	"github.com/tokenward/tokenward/tokensource"
)

var zeroTime time.Time

// TestExpiryColumn: a zero expiry is NULL (kept), and overwriting an
// entry that had an expiry with a zero one clears it: a refresh token
// saved after an access-token-only entry is never dropped.
func TestExpiryColumn(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		db := b.open(t)
		s := newStore(t, db, nil)
		isNull := func() bool {
			t.Helper()
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM tokenward_tokens WHERE key = 'k' AND expires_at IS NULL`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 1
		}
		if err := s.Save(bg, "k", []byte("at only"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if isNull() {
			t.Error("expires_at is NULL after a Save with an expiry")
		}
		if err := s.Save(bg, "k", []byte("with refresh token"), zeroTime); err != nil {
			t.Fatal(err)
		}
		if !isNull() {
			t.Error("expires_at is not NULL after a Save with a zero expiry; the refresh token would be dropped")
		}
		// An expiry that passed deletes the entry rather than storing it.
		if err := s.Save(bg, "k", []byte("stale"), time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		var n int
		db.QueryRow(`SELECT count(*) FROM tokenward_tokens`).Scan(&n)
		if n != 0 {
			t.Errorf("%d rows after a Save with a past expiry; want 0", n)
		}
		// An expired row is a miss, and Load deletes it.
		if err := s.Save(bg, "e", []byte("short"), time.Now().Add(300*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		if got, err := s.Load(bg, "e"); got != nil || err != nil {
			t.Errorf("Load of an expired row = %q, %v; want nil, nil", got, err)
		}
		db.QueryRow(`SELECT count(*) FROM tokenward_tokens`).Scan(&n)
		if n != 0 {
			t.Errorf("%d rows after loading an expired one; want it deleted", n)
		}
	})
}

// TestCorruptRowIsAnError: a row whose columns cannot be read (a value of
// the wrong type written by hand into SQLite's dynamically typed table) is
// an error from Load, not a panic, and the error holds none of the data.
func TestCorruptRowIsAnError(t *testing.T) {
	db := backends[0].open(t)
	s := newStore(t, db, nil)
	if err := s.Save(bg, "k", []byte("secret-token-bytes"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE tokenward_tokens SET expires_at = 'next tuesday'`); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(bg, "k")
	if err == nil || got != nil {
		t.Fatalf("Load of a row with a text expires_at = %q, %v; want nil and an error", got, err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q contains the row's data", err)
	}
	// The next Save repairs the row.
	if err := s.Save(bg, "k", []byte("new"), zeroTime); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load(bg, "k"); string(got) != "new" || err != nil {
		t.Errorf("Load after a repairing Save = %q, %v", got, err)
	}
}

// countingSource hands out numbered tokens and counts its calls.
type countingSource struct{ n atomic.Int32 }

func (c *countingSource) TokenContext(context.Context) (*oauth2.Token, error) {
	n := c.n.Add(1)
	return &oauth2.Token{AccessToken: "fresh-" + string(rune('0'+n)), Expiry: time.Now().Add(time.Hour)}, nil
}

// TestCorruptRowsThroughTokensource: garbage in the data column, or a row
// that cannot be scanned, is a miss with a warning: the source obtains a
// new token and saves it over the bad row.
func TestCorruptRowsThroughTokensource(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		db := b.open(t)
		s := newStore(t, db, nil)
		if err := s.Save(bg, "user-1", []byte("\x00not a token record{"), zeroTime); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		src := &countingSource{}
		cached := tokensource.New(src, &tokensource.Options{Cache: s, CacheKey: "user-1", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		tok, err := cached.TokenContext(bg)
		if err != nil || tok.AccessToken != "fresh-1" {
			t.Fatalf("TokenContext over a corrupt row = %v, %v; want a fresh token", tok, err)
		}
		if !strings.Contains(logs.String(), "WARN") {
			t.Errorf("no warning logged for the corrupt row; logs: %s", logs.String())
		}
		data, err := s.Load(bg, "user-1")
		if err != nil {
			t.Fatal(err)
		}
		if saved, err := record.Decode(data); err != nil || saved.Token.AccessToken != "fresh-1" {
			t.Errorf("row after the refresh = %v, %v; want the fresh token", saved, err)
		}
	})
}

// TestCallTimeout: a database that does not answer (SQLite whose write
// lock another connection holds, with no busy_timeout) costs at most
// Options.Timeout per call.
func TestCallTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	db := openDB(t, "sqlite", "file:"+path)
	s := newStore(t, db, &sqlcache.Options{Timeout: 300 * time.Millisecond})
	blocker := openDB(t, "sqlite", "file:"+path)
	conn, err := blocker.Conn(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(bg, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.Save(bg, "k", []byte("v"), zeroTime)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Save on a locked database took %v; want about the 300ms Timeout", d)
	}
	if err == nil {
		t.Fatal("Save on a locked database succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "locked") {
		t.Errorf("Save error %v; want a timeout or a busy database", err)
	}
	conn.ExecContext(bg, `ROLLBACK`)
	if err := s.Save(bg, "k", []byte("v"), zeroTime); err != nil {
		t.Errorf("Save after the lock was released: %v", err)
	}
}
