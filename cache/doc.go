// Package cache stores encoded tokens for tokensource: in memory
// ([Memory]) or on disk ([File]), optionally sealed with AES-GCM
// ([Sealed]). Subpackages keep them in the OS keychain
// (cache/keychain), in Redis for fleets of processes (cache/rediscache)
// and in PostgreSQL or SQLite (cache/sqlcache); cache/cachetest checks any
// implementation.
//
// Every cache here is safe for concurrent use, treats its values as
// opaque bytes, never returns an entry past the expiry it was saved with,
// and honours context cancellation.
//
// # Locks
//
// [Memory], [File], cache/rediscache's Store and cache/sqlcache's Store
// are also a tokensource.Locker, and follow one rule: Lock(ctx, key, ttl) waits until
// the lock is free or ctx ends, and the lock is a lease of ttl: it is
// released by unlock or, if its holder never calls unlock, when ttl has
// passed. A ttl of zero or less means tokensource.DefaultLockTTL. unlock
// may be called more than once. [File]'s OS lock is also released by the
// operating system when the holding process dies, whatever the ttl.
// [Sealed] is a Locker exactly when the cache it wraps is one.
// cache/cachetest checks the rule.
//
// Which cache for which program:
//   - a command-line tool: cache/keychain, so a run does not log in again;
//   - one long-running service: [Memory], or [File] to survive restarts;
//   - a fleet sharing one client identity: cache/rediscache, whose lock
//     makes one process per token lifetime call the token endpoint;
//   - a web app with many users' tokens: cache/sqlcache in the database it
//     already has (through client.Config.UserTokens).
//
// References:
//   - RFC 6749 §10.4 (refresh tokens must be kept confidential): https://www.rfc-editor.org/rfc/rfc6749#section-10.4
//   - NIST SP 800-38D (AES-GCM): https://csrc.nist.gov/pubs/sp/800/38/d/final
package cache
