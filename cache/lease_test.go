package cache

import (
	"testing"
	"time"

	"github.com/tokenward/tokenward/tokensource"
)

func TestLeaseTTLRule(t *testing.T) {
	for _, tt := range []struct{ ttl, want time.Duration }{
		{0, tokensource.DefaultLockTTL},
		{-time.Second, tokensource.DefaultLockTTL},
		{time.Second, time.Second},
	} {
		if got := leaseTTL(tt.ttl); got != tt.want {
			t.Errorf("leaseTTL(%v) = %v; want %v", tt.ttl, got, tt.want)
		}
	}
}
