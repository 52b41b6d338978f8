package cachetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenward/tokenward/tokensource"
)

// largeValueSize is the size of the large value every cache must store.
const largeValueSize = 256 << 10

// Run runs the conformance suite as subtests of t.
func Run(t *testing.T, newCache func(t *testing.T) tokensource.Cache) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, c tokensource.Cache)
	}{
		{"MissIsNilNil", testMiss},
		{"RoundTrip", testRoundTrip},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"Expiry", testExpiry},
		{"ZeroExpiryKeeps", testZeroExpiryKeeps},
		{"KeysAreIndependent", testKeys},
		{"ValuesAreCopied", testCopies},
		{"LargeValue", testLarge},
		{"CanceledContext", testCanceled},
		{"ConcurrentUse", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newCache(t)) })
	}
	t.Run("Locker", func(t *testing.T) {
		l, ok := newCache(t).(tokensource.Locker)
		if !ok {
			t.Skip("the cache is not a tokensource.Locker")
		}
		testLocker(t, l)
	})
	t.Run("LockerDefaultTTL", func(t *testing.T) {
		l, ok := newCache(t).(tokensource.Locker)
		if !ok {
			t.Skip("the cache is not a tokensource.Locker")
		}
		testLockerDefaultTTL(t, l)
	})
}

var ctx = context.Background()

func mustSave(t *testing.T, c tokensource.Cache, key string, data []byte, expiry time.Time) {
	t.Helper()
	if err := c.Save(ctx, key, data, expiry); err != nil {
		t.Fatalf("Save(%q): %v", key, err)
	}
}

func mustLoad(t *testing.T, c tokensource.Cache, key string) []byte {
	t.Helper()
	got, err := c.Load(ctx, key)
	if err != nil {
		t.Fatalf("Load(%q): %v", key, err)
	}
	return got
}

func testMiss(t *testing.T, c tokensource.Cache) {
	got, err := c.Load(ctx, "cachetest-missing")
	if got != nil || err != nil {
		t.Fatalf("Load of a missing key = %q, %v; want nil, nil", got, err)
	}
}

func testRoundTrip(t *testing.T, c tokensource.Cache) {
	for _, data := range [][]byte{[]byte(`{"v":1,"access_token":"a"}`), {0, 1, 2, 255}, []byte("x")} {
		mustSave(t, c, "cachetest-rt", data, time.Time{})
		if got := mustLoad(t, c, "cachetest-rt"); !bytes.Equal(got, data) {
			t.Fatalf("Load after Save = %q; want %q", got, data)
		}
	}
}

func testOverwrite(t *testing.T, c tokensource.Cache) {
	mustSave(t, c, "cachetest-ow", []byte("first"), time.Time{})
	mustSave(t, c, "cachetest-ow", []byte("second"), time.Now().Add(time.Hour))
	if got := mustLoad(t, c, "cachetest-ow"); string(got) != "second" {
		t.Fatalf("Load after overwrite = %q; want second", got)
	}
}

func testDelete(t *testing.T, c tokensource.Cache) {
	mustSave(t, c, "cachetest-del", []byte("x"), time.Time{})
	if err := c.Delete(ctx, "cachetest-del"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := mustLoad(t, c, "cachetest-del"); got != nil {
		t.Fatalf("Load after Delete = %q; want nil", got)
	}
	if err := c.Delete(ctx, "cachetest-del"); err != nil {
		t.Fatalf("Delete of a missing key: %v; want nil", err)
	}
}

func testExpiry(t *testing.T, c tokensource.Cache) {
	mustSave(t, c, "cachetest-keep", []byte("forever"), time.Time{})
	mustSave(t, c, "cachetest-later", []byte("later"), time.Now().Add(time.Hour))
	mustSave(t, c, "cachetest-past", []byte("stale"), time.Now().Add(-time.Second))
	if got := mustLoad(t, c, "cachetest-keep"); string(got) != "forever" {
		t.Errorf("zero expiry: Load = %q; want the entry kept", got)
	}
	if got := mustLoad(t, c, "cachetest-later"); string(got) != "later" {
		t.Errorf("expiry in an hour: Load = %q; want the entry", got)
	}
	if got := mustLoad(t, c, "cachetest-past"); got != nil {
		t.Errorf("expiry in the past: Load = %q; want nil (never serve an expired entry)", got)
	}
	mustSave(t, c, "cachetest-short", []byte("short"), time.Now().Add(1200*time.Millisecond))
	if got := mustLoad(t, c, "cachetest-short"); string(got) != "short" {
		t.Errorf("before expiry: Load = %q; want the entry", got)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := mustLoad(t, c, "cachetest-short"); got != nil {
		t.Errorf("after expiry: Load = %q; want nil", got)
	}
}

// testZeroExpiryKeeps: an entry saved with a zero expiry (a refresh
// token with no known lifetime) is kept, also when an earlier Save of the
// key gave it an expiry.
func testZeroExpiryKeeps(t *testing.T, c tokensource.Cache) {
	mustSave(t, c, "cachetest-zero", []byte("short"), time.Now().Add(1200*time.Millisecond))
	mustSave(t, c, "cachetest-zero", []byte("kept"), time.Time{})
	if got := mustLoad(t, c, "cachetest-zero"); string(got) != "kept" {
		t.Fatalf("Load after Save with zero expiry = %q; want kept", got)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := mustLoad(t, c, "cachetest-zero"); string(got) != "kept" {
		t.Fatalf("Load after the earlier expiry passed = %q; want kept (a zero expiry never drops the entry)", got)
	}
}

func testKeys(t *testing.T, c tokensource.Cache) {
	keys := []string{"cachetest-a", "cachetest-A", "cachetest/with/slashes", "cachetest ümlaut ✓", "cachetest-" + strings.Repeat("k", 300), "cachetest-../../etc/passwd", "cachetest-a.lock"}
	for i, k := range keys {
		mustSave(t, c, k, []byte(fmt.Sprint(i)), time.Time{})
	}
	for i, k := range keys {
		if got := mustLoad(t, c, k); string(got) != fmt.Sprint(i) {
			t.Errorf("Load(%q) = %q; want %d", k, got, i)
		}
	}
}

func testCopies(t *testing.T, c tokensource.Cache) {
	data := []byte("original")
	mustSave(t, c, "cachetest-copy", data, time.Time{})
	copy(data, "MUTATED!")
	got := mustLoad(t, c, "cachetest-copy")
	if string(got) != "original" {
		t.Fatalf("Load after mutating the saved slice = %q; want original (Save must copy)", got)
	}
	copy(got, "MUTATED!")
	if again := mustLoad(t, c, "cachetest-copy"); string(again) != "original" {
		t.Fatalf("Load after mutating a loaded slice = %q; want original (Load must copy)", again)
	}
}

func testLarge(t *testing.T, c tokensource.Cache) {
	big := make([]byte, largeValueSize)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	mustSave(t, c, "cachetest-large", big, time.Time{})
	if got := mustLoad(t, c, "cachetest-large"); !bytes.Equal(got, big) {
		t.Fatalf("large value: got %d bytes; want the %d saved", len(got), len(big))
	}
}

func testCanceled(t *testing.T, c tokensource.Cache) {
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Load(canceled, "cachetest-cancel"); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a canceled context: %v; want context.Canceled", err)
	}
	if err := c.Save(canceled, "cachetest-cancel", []byte("x"), time.Time{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Save with a canceled context: %v; want context.Canceled", err)
	}
	if err := c.Delete(canceled, "cachetest-cancel"); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete with a canceled context: %v; want context.Canceled", err)
	}
	if got := mustLoad(t, c, "cachetest-cancel"); got != nil {
		t.Errorf("a canceled Save stored %q; want nothing", got)
	}
}

func testConcurrent(t *testing.T, c tokensource.Cache) {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := fmt.Sprintf("cachetest-conc-%d", g)
			for i := range 20 {
				val := []byte(fmt.Sprintf("%d-%d", g, i))
				if err := c.Save(ctx, own, val, time.Time{}); err != nil {
					errs <- err
					return
				}
				got, err := c.Load(ctx, own)
				if err != nil || !bytes.Equal(got, val) {
					errs <- fmt.Errorf("goroutine %d: Load = %q, %v; want %q", g, got, err, val)
					return
				}
				// Everyone writes the shared key; a Load sees one whole value.
				if err := c.Save(ctx, "cachetest-conc-shared", []byte(strings.Repeat("v", 100+g)), time.Time{}); err != nil {
					errs <- err
					return
				}
				got, err = c.Load(ctx, "cachetest-conc-shared")
				if err != nil || len(got) < 100 || strings.Trim(string(got), "v") != "" {
					errs <- fmt.Errorf("shared key: Load = %q, %v; want a whole value", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// testLockerDefaultTTL checks the Locker rule: a ttl of zero or less
// means the implementation's default (tokensource.DefaultLockTTL), not
// "no lock" or "expired at once": a second Lock waits until unlock, or
// until its context ends.
func testLockerDefaultTTL(t *testing.T, l tokensource.Locker) {
	for _, ttl := range []time.Duration{0, -time.Second} {
		key := fmt.Sprintf("cachetest-lock-default%d", ttl)
		unlock, err := l.Lock(ctx, key, ttl)
		if err != nil {
			t.Fatalf("Lock(ttl=%v): %v", ttl, err)
		}
		time.Sleep(50 * time.Millisecond)
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		_, err = l.Lock(short, key, ttl)
		cancel()
		if err == nil {
			t.Fatalf("ttl=%v: a second Lock succeeded while the first is held; want it to wait (ttl <= 0 means the default TTL)", ttl)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ttl=%v: second Lock: %v; want an error matching context.DeadlineExceeded", ttl, err)
		}
		got := make(chan error, 1)
		go func() {
			u, err := l.Lock(ctx, key, ttl)
			if err == nil {
				u()
			}
			got <- err
		}()
		select {
		case err := <-got:
			t.Fatalf("ttl=%v: a waiting Lock returned (%v) before unlock", ttl, err)
		case <-time.After(200 * time.Millisecond):
		}
		unlock()
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("ttl=%v: waiting Lock after unlock: %v", ttl, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ttl=%v: a waiting Lock did not get the lock within 5s of unlock", ttl)
		}
	}
}

func testLocker(t *testing.T, l tokensource.Locker) {
	unlock, err := l.Lock(ctx, "cachetest-lock", 5*time.Second)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	_, err = l.Lock(short, "cachetest-lock", 5*time.Second)
	cancel()
	if err == nil {
		t.Fatal("second Lock while held succeeded; want it to wait until its context ends")
	}
	other, err := l.Lock(ctx, "cachetest-lock-other", 5*time.Second)
	if err != nil {
		t.Fatalf("Lock of another key while the first is held: %v", err)
	}
	other()
	unlock()
	unlock() // idempotent
	again, err := l.Lock(ctx, "cachetest-lock", 5*time.Second)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	again()

	// A holder that never unlocks (it crashed) must not wedge the others
	// beyond the TTL.
	if _, err := l.Lock(ctx, "cachetest-lock-ttl", 300*time.Millisecond); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	u, err := l.Lock(wait, "cachetest-lock-ttl", 300*time.Millisecond)
	if err != nil {
		t.Fatalf("Lock after the holder's TTL: %v; want the lock within the TTL", err)
	}
	u()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("waited %v for an abandoned lock with a 300ms TTL", d)
	}

	// Mutual exclusion under contention.
	var mu sync.Mutex
	inside, maxInside := 0, 0
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := l.Lock(ctx, "cachetest-lock-mx", 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inside++
			maxInside = max(maxInside, inside)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			inside--
			mu.Unlock()
			u()
		}()
	}
	wg.Wait()
	if maxInside != 1 {
		t.Errorf("%d holders at once; want 1", maxInside)
	}
}
