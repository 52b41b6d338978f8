// Package cachetest checks that a tokensource.Cache implementation keeps
// the contract tokensource relies on. Run it from a test of your own cache:
//
//	func TestConformance(t *testing.T) {
//		cachetest.Run(t, func(t *testing.T) tokensource.Cache { return mycache.New(…) })
//	}
//
// newCache must return an empty cache each time it is called (for example
// with a key prefix unique to t). When the cache is also a
// tokensource.Locker, the locking contract is checked too, including the
// rule every Locker of this module follows: Lock waits until the lock is
// free or its context ends; the lock is a lease of ttl, released by
// unlock (idempotent) or when ttl passes; a ttl of zero or less means the
// implementation's default, tokensource.DefaultLockTTL.
package cachetest
