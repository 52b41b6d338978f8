package sqlcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/tokensource"
)

// TestPostgresDownAndBack stops the real server mid-run: every call fails
// promptly (well within its context), a source whose token is in memory
// keeps serving it, and everything works again once the server is back.
func TestPostgresDownAndBack(t *testing.T) {
	srv := testenv.StartPostgres(t)
	db := openDB(t, "pgx", srv.DSN("postgres"))
	s := newStore(t, db, nil)
	if err := s.Save(bg, "k", []byte("before"), zeroTime); err != nil {
		t.Fatal(err)
	}
	src := &countingSource{}
	resident := tokensource.New(src, &tokensource.Options{Cache: s, CacheKey: "resident"})
	if _, err := resident.TokenContext(bg); err != nil {
		t.Fatal(err)
	}

	srv.Stop(t)
	const budget = 2 * time.Second
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Load", func(ctx context.Context) error { _, err := s.Load(ctx, "k"); return err }},
		{"Save", func(ctx context.Context) error { return s.Save(ctx, "k", []byte("during"), zeroTime) }},
		{"Delete", func(ctx context.Context) error { return s.Delete(ctx, "k") }},
		{"Lock", func(ctx context.Context) error {
			u, err := s.Lock(ctx, "k", time.Second)
			if err == nil {
				u()
			}
			return err
		}},
	}
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(bg, budget)
		start := time.Now()
		err := c.call(ctx)
		cancel()
		if err == nil {
			t.Errorf("%s with the server down succeeded", c.name)
		}
		if d := time.Since(start); d > budget/2 {
			t.Errorf("%s with the server down took %v; want an error well within the %v budget", c.name, d, budget)
		}
		t.Logf("%s, server down: %v", c.name, err)
	}
	if tok, err := resident.TokenContext(bg); err != nil || tok.AccessToken != "fresh-1" {
		t.Errorf("resident source with the server down = %v, %v; want its token from memory", tok, err)
	}

	srv.Start(t)
	deadline := time.Now().Add(10 * time.Second)
	var got []byte
	var err error
	for time.Now().Before(deadline) {
		// Pooled connections died with the server; each failed call
		// drops one, so the Store recovers within a few calls.
		if got, err = s.Load(bg, "k"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || string(got) != "before" {
		t.Fatalf("Load after the server came back = %q, %v; want the row saved before the outage", got, err)
	}
	if err := s.Save(bg, "k", []byte("after"), zeroTime); err != nil {
		t.Errorf("Save after recovery: %v", err)
	}
	unlock, err := s.Lock(bg, "k", time.Second)
	if err != nil {
		t.Fatalf("Lock after recovery: %v", err)
	}
	unlock()
}
