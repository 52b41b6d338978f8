package telemetry_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/telemetry"
	"github.com/tokenward/tokenward/tokensource"
)

// counting wraps an Observer and counts the calls it receives.
type counting struct {
	*telemetry.Observer
	calls atomic.Int64
}

func (c *counting) Refreshed(ctx context.Context, ev tokensource.RefreshEvent) {
	c.calls.Add(1)
	c.Observer.Refreshed(ctx, ev)
}

func (c *counting) CacheUsed(ctx context.Context, op tokensource.CacheOp, r tokensource.CacheResult) {
	c.calls.Add(1)
	c.Observer.CacheUsed(ctx, op, r)
}

func (c *counting) LockWaited(ctx context.Context, d time.Duration, acquired bool) {
	c.calls.Add(1)
	c.Observer.LockWaited(ctx, d, acquired)
}

// TestFastPathIsFree checks what BenchmarkCachedFastPath measures: with an
// Observer set, serving a cached token calls it never and allocates
// nothing.
func TestFastPathIsFree(t *testing.T) {
	obs := &counting{Observer: telemetry.New(nil, nil)}
	tok := &oauth2.Token{AccessToken: "access-token-value", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	c := tokensource.New(tokensource.FromOAuth2(oauth2.StaticTokenSource(tok)), &tokensource.Options{Observer: obs})
	ctx := context.Background()
	if _, err := c.TokenContext(ctx); err != nil {
		t.Fatal(err)
	}
	before := obs.calls.Load()
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := c.TokenContext(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("fast path with an Observer: got %v allocations per call; want 0", allocs)
	}
	if got := obs.calls.Load() - before; got != 0 {
		t.Errorf("fast path: got %d Observer calls; want 0", got)
	}
}
