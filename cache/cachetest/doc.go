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
//
// References:
//   - RFC 6749 §10.4 (refresh tokens must be kept confidential): https://www.rfc-editor.org/rfc/rfc6749#section-10.4
//   - RFC 9700 §4.14 (refresh token rotation, which the lock protects): https://www.rfc-editor.org/rfc/rfc9700#section-4.14
package cachetest
