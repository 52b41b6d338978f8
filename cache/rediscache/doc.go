// Package rediscache is a token cache in Redis, for a fleet of processes
// that share one client identity: they share its tokens, and with the
// cache's lock only one of them calls the token endpoint when the token
// needs renewal.
//
// A [Store] implements tokensource.Cache and tokensource.Locker:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	src := cfg.ClientCredentialsSource(&tokensource.Options{Cache: rediscache.New(rdb, nil)})
//
// # What is stored
//
// Each cache key becomes one Redis string holding the bytes tokensource
// gives to Save (its encoded token record; the Store does not look inside).
// The Redis key is Options.Prefix (default "tokenward:") followed by
// "{" + the first 40 hex digits of SHA-256(key) + "}", so no cache key
// text (which may name a user or a client) appears in Redis. The lock for
// an entry is the entry's Redis key followed by ":lock". The values are
// bearer credentials: restrict who can read the Redis database (ACLs,
// TLS, a private network), or seal the bytes before they reach the cache.
//
// # TTL policy
//
// Save sets the Redis key's TTL from its expiry argument (SET … PX, whole
// milliseconds rounded up; relative, so the clocks of Redis and the client
// need not agree). A zero expiry stores the entry without a TTL (a plain
// SET, which also clears the TTL of an entry saved earlier), and an expiry
// that has already passed deletes the entry, so an expired entry is never
// stored. tokensource passes the access token's expiry when there is no
// refresh token and a zero expiry when there is one (unless the server
// said how long the refresh token lives), so Redis never evicts a usable
// refresh token. Redis may still evict keys under memory pressure when its
// maxmemory-policy allows it; use noeviction or a volatile-* policy for the
// database that holds tokens.
//
// # Lock
//
// Lock follows the single-instance algorithm of
// https://redis.io/docs/latest/develop/use/patterns/distributed-locks/:
// it sets the lock key to a random 128-bit token with SET key token NX PX
// ttl (https://redis.io/docs/latest/commands/set/), retrying every
// Options.LockRetry (jittered) until the SET succeeds or the caller's
// context ends. The lock expires after ttl (zero or less means
// tokensource.DefaultLockTTL, the rule of every Locker in this module),
// so a crashed holder delays the others by at most ttl. Unlock runs a Lua compare-and-delete script
// (EVALSHA, falling back to EVAL), so a holder whose lock has expired and
// been taken by another process cannot delete the other's lock. Unlock
// uses its own short timeout rather than the caller's context, and may be
// called more than once. The lock is advisory and, like any lease, not
// safe against a holder that pauses past its TTL: tokensource sizes the
// TTL from its refresh budget, stops the guarded refresh when the lease
// ends, and re-reads the cache after taking the lock, because with
// rotating refresh tokens a duplicate refresh revokes the grant.
//
// # Timeouts
//
// The Store passes the caller's context to go-redis, and a canceled
// context always ends a call with an error matching context.Canceled (or
// context.DeadlineExceeded). By default go-redis bounds a reply that never
// comes by its ReadTimeout (5 s in go-redis v9.23) rather than by the context's deadline; set
// ContextTimeoutEnabled in the client's options so that a hung server
// cannot hold a call past its context:
//
//	rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
//
// # Replication and failover
//
// Redis replicates asynchronously: a primary that dies right after a
// write can take the write with it when a Sentinel promotes its replica.
// With a server that rotates refresh tokens and detects their reuse, a
// lost lock or a lost rotated refresh token is not a harmless duplicate
// refresh: the next refresh presents a used refresh token and the server
// revokes the whole grant (the user logs in again). So, by default, every
// write (the lock's SET NX, Save, Delete) is followed on the same
// connection by WAIT 1 (https://redis.io/docs/latest/commands/wait/) when
// the primary has replicas (ROLE, asked in the same round trip as the
// write), and counts only once a replica has acknowledged it within
// Options.ReplicaTimeout. When none does, Lock releases the lock and
// returns an error matching [ErrNotReplicated]; Save and Delete return
// such an error too (the primary has the write; a failover could lose
// it). A primary without replicas is not waited for. Options.MinReplicas
// demands a number of replicas whatever the primary reports;
// Options.AllowUnreplicated turns the wait off for those who accept the
// risk. A caller that gets ErrNotReplicated from Save after a rotation
// holds the only safe copy of the new refresh token: it should keep it,
// keep holding the lock, and retry the Save (tokensource's record
// version makes the newer record win when the cache went backwards).
// While the primary is down (about two seconds with a 500 ms
// down-after-milliseconds), Lock fails outright: a caller must then wait,
// serve a still-valid token, or fail, but never refresh a rotating grant
// without the lock, or the refreshes of several processes revoke it.
//
// WAIT makes a lost write unlikely, not impossible: a replica that has
// acknowledged may still not be the one Sentinel promotes when there are
// several, and WAIT does not make Redis a consensus system
// (https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#consistency-under-partitions).
//
// # Cluster and Sentinel
//
// New takes a redis.UniversalClient: a standalone *redis.Client, a
// Sentinel failover client (redis.NewFailoverClient), a
// *redis.ClusterClient or a *redis.Ring. Every command touches one key
// (GET, SET, DEL, and scripts with a single key), and an entry and its
// lock share a hash tag, so they live in the same Cluster slot; a write
// and its WAIT go to the master of that slot on one connection. Keep '{'
// and '}' out of Options.Prefix, or the hash tag would come from the
// prefix instead.
//
// References:
//   - RFC 6749 §10.4 (refresh tokens must be kept confidential): https://www.rfc-editor.org/rfc/rfc6749#section-10.4
//   - RFC 9700 §4.14 (refresh token rotation and reuse detection): https://www.rfc-editor.org/rfc/rfc9700#section-4.14
//   - Redis distributed locks: https://redis.io/docs/latest/develop/use/patterns/distributed-locks/
//   - Redis WAIT: https://redis.io/docs/latest/commands/wait/
package rediscache
