package cache

import (
	"github.com/tokenward/tokenward/internal/clock"
	"sync"
	"time"

	"github.com/tokenward/tokenward/tokensource"
)

// lease returns the unlock function of a lock: it runs release once, on
// the first call, or after ttl on clk if the holder never calls it (so a hung
// holder cannot wedge the others). A ttl of zero or less means
// tokensource.DefaultLockTTL, the Locker rule every cache of this module
// follows. The timer ends when it fires; once the lock is released it is a
// no-op.
func lease(clk clock.Clock, release func(), ttl time.Duration) func() {
	var once sync.Once
	unlock := func() { once.Do(release) }
	t := clk.AfterFunc(leaseTTL(ttl), unlock)
	return func() { t.Stop(); unlock() }
}

// leaseTTL applies the Locker rule: ttl <= 0 means
// tokensource.DefaultLockTTL.
func leaseTTL(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return tokensource.DefaultLockTTL
	}
	return ttl
}
