package tokensource

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// recorder is an Observer that records what it sees.
type recorder struct {
	mu     sync.Mutex
	events []string
	ctxVal []any
}

type ctxKey struct{}

func (r *recorder) add(ctx context.Context, s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, s)
	r.ctxVal = append(r.ctxVal, ctx.Value(ctxKey{}))
}

func (r *recorder) Refreshed(ctx context.Context, ev RefreshEvent) {
	r.add(ctx, fmt.Sprintf("refreshed async=%v err=%v", ev.Async, ev.Err != nil))
}

func (r *recorder) CacheUsed(ctx context.Context, op CacheOp, res CacheResult) {
	r.add(ctx, fmt.Sprintf("cache %s %s", op, res))
}

func (r *recorder) LockWaited(ctx context.Context, d time.Duration, acquired bool) {
	r.add(ctx, fmt.Sprintf("lock acquired=%v", acquired))
}

func (r *recorder) snapshot() ([]string, []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...), append([]any(nil), r.ctxVal...)
}

func TestObserverSeesRenewalsCacheAndLock(t *testing.T) {
	tests := []struct {
		name  string
		async bool
		want  []string
	}{
		{"sync", false, []string{"lock acquired=true", "cache load miss", "cache save ok", "refreshed async=false err=false"}},
		// A renewal from a refresh token reads the cache again before saving.
		{"async", true, []string{"lock acquired=true", "cache load hit", "cache load hit", "cache save ok", "refreshed async=true err=false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			rec := &recorder{}
			cache := lockingCache{newMemCache()}
			src := &fakeSource{clk: clk, life: time.Hour}
			c := newTestCached(t, renewSource{src}, clk, &Options{Cache: cache, CacheKey: "k", Observer: rec, AsyncRefresh: tt.async})
			ctx := context.WithValue(context.Background(), ctxKey{}, "span")
			if tt.async {
				if _, err := c.TokenContext(ctx); err != nil {
					t.Fatal(err)
				}
				rec.mu.Lock()
				rec.events, rec.ctxVal = nil, nil
				rec.mu.Unlock()
				clk.Advance(59 * time.Minute) // in the window: a background renewal
			}
			if _, err := c.TokenContext(ctx); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { ev, _ := rec.snapshot(); return len(ev) >= len(tt.want) })
			got, vals := rec.snapshot()
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("events = %q; want %q", got, tt.want)
			}
			for i, v := range vals {
				if v != "span" {
					t.Errorf("event %q: context value %v; want the caller's (detached, not replaced)", got[i], v)
				}
			}
		})
	}
}
