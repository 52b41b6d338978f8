package cache

import (
	"sync"
	"time"
)

// lease returns the unlock function of a lock: it runs release once, on
// the first call, and, when ttl is positive, after ttl if the holder
// never calls it (so a hung holder cannot wedge the others). The timer
// ends when it fires; once the lock is released it is a no-op.
func lease(release func(), ttl time.Duration) func() {
	var once sync.Once
	unlock := func() { once.Do(release) }
	if ttl <= 0 {
		return unlock
	}
	t := time.AfterFunc(ttl, unlock)
	return func() { t.Stop(); unlock() }
}
