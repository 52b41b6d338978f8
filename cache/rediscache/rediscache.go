package rediscache

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokenward/tokenward/tokensource"
)

// Defaults for [Options].
const (
	DefaultPrefix    = "tokenward:"
	DefaultLockRetry = 25 * time.Millisecond
)

// unlockTimeout bounds the compare-and-delete that releases a lock. If it
// fails the lock still expires after its TTL.
const unlockTimeout = 5 * time.Second

// Options configure a [Store]. The zero value (or a nil *Options) means
// defaults.
type Options struct {
	// Prefix is prepended to every Redis key the Store uses. Default
	// "tokenward:". Give stores that must not see each other's entries
	// different prefixes. It should not contain '{' or '}' (see the
	// package documentation on Redis Cluster).
	Prefix string
	// LockRetry is the interval between attempts to take a lock that is
	// held by someone else. Each wait is jittered to between 0.5 and 1.5
	// times LockRetry. Default 25ms.
	LockRetry time.Duration

	// MinReplicas is how many replicas must acknowledge a lock and every
	// Save or Delete (Redis WAIT) before it succeeds; too few in
	// ReplicaTimeout is an error matching ErrNotReplicated. Zero means:
	// one when the primary has replicas (asked with ROLE on each write,
	// in the same round trip) and none when it has none, so a lock or a
	// rotated refresh token survives a Sentinel failover by default.
	MinReplicas int
	// ReplicaTimeout bounds each wait for acknowledgements
	// (DefaultReplicaTimeout when zero; never past the context's deadline).
	ReplicaTimeout time.Duration
	// AllowUnreplicated skips the wait: a write succeeds once the primary
	// has it. A failover can then lose the most recent writes, including a
	// lock or a rotated refresh token; with a server that rotates refresh
	// tokens and detects their reuse, that revokes the grant (the user logs
	// in again). Only for deployments that accept that risk, or that have
	// no replicas.
	AllowUnreplicated bool
}

// Store is a tokensource.Cache and tokensource.Locker backed by Redis. It
// is safe for concurrent use. Create it with [New].
type Store struct {
	rdb            redis.UniversalClient
	prefix         string
	retry          time.Duration
	minReplicas    int
	replicaTimeout time.Duration
	unreplicated   bool
}

// unlockScript deletes the lock only if it still holds the caller's token,
// so a holder whose lock expired cannot release a later holder's lock.
var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// New returns a Store that keeps entries in rdb: a *redis.Client,
// *redis.ClusterClient, a Sentinel failover client or a *redis.Ring. A nil
// opts means defaults. The Store does not own rdb; closing it is the
// caller's job.
func New(rdb redis.UniversalClient, opts *Options) *Store {
	s := &Store{rdb: rdb, prefix: DefaultPrefix, retry: DefaultLockRetry, replicaTimeout: DefaultReplicaTimeout}
	if opts != nil {
		if opts.Prefix != "" {
			s.prefix = opts.Prefix
		}
		if opts.LockRetry > 0 {
			s.retry = opts.LockRetry
		}
		if opts.ReplicaTimeout > 0 {
			s.replicaTimeout = opts.ReplicaTimeout
		}
		s.minReplicas = max(opts.MinReplicas, 0)
		s.unreplicated = opts.AllowUnreplicated
	}
	return s
}

// redisKey is the Redis key of the entry for key: the prefix and a hash of
// key in a hash tag, so no key text reaches Redis and the entry and its
// lock (redisKey(key)+":lock") live in the same Cluster slot.
func (s *Store) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return s.prefix + "{" + hex.EncodeToString(sum[:20]) + "}"
}

func lockKey(entry string) string { return entry + ":lock" }

// wrap turns a Redis error into a rediscache error. When ctx is done the
// result also matches ctx.Err() with errors.Is, whatever go-redis made of
// the cancellation.
// deadlineSlack is how close to ctx's deadline a socket timeout counts as
// the deadline itself.
const deadlineSlack = 20 * time.Millisecond

func wrap(ctx context.Context, op string, err error) error {
	cerr := ctx.Err()
	var ne net.Error
	if d, ok := ctx.Deadline(); cerr == nil && ok && errors.As(err, &ne) && ne.Timeout() && time.Until(d) < deadlineSlack {
		// go-redis sets the socket deadline from ctx's: its i/o timeout
		// can fire a moment before ctx reports its end.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("rediscache: %s: %w (%w)", op, err, cerr)
	}
	return fmt.Errorf("rediscache: %s: %w", op, err)
}

// Load returns the entry for key, or (nil, nil) when there is none (Redis
// drops entries when their expiry passes).
func (s *Store) Load(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, wrap(ctx, "load", err)
	}
	data, err := s.rdb.Get(ctx, s.redisKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(ctx, "load", err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// Save stores data under key. The Redis key expires at expiry (PX, in
// whole milliseconds rounded up); a zero expiry stores it without a TTL,
// removing any TTL an earlier Save set; an expiry that has already passed
// deletes the entry instead, so an expired entry is never stored. Unless
// Options.AllowUnreplicated is set, Save returns once replicas have the
// write (see Options.MinReplicas); an error matching ErrNotReplicated
// means the primary has it but a failover could lose it.
func (s *Store) Save(ctx context.Context, key string, data []byte, expiry time.Time) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "save", err)
	}
	rk := s.redisKey(key)
	var ttl time.Duration
	if !expiry.IsZero() {
		d := time.Until(expiry)
		if d <= 0 {
			if err := s.del(ctx, "save", rk); err != nil {
				return wrap(ctx, "save (expired entry)", err)
			}
			return nil
		}
		ttl = roundUpMs(d)
	}
	// With ttl 0 this is a plain SET, which also clears an old TTL.
	err := s.write(ctx, "save", rk, func(p redis.Pipeliner) func() bool {
		p.Set(ctx, rk, data, ttl)
		return nil
	})
	if err != nil {
		return wrap(ctx, "save", err)
	}
	return nil
}

// Delete removes the entry for key. Deleting a missing entry is not an
// error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "delete", err)
	}
	if err := s.del(ctx, "delete", s.redisKey(key)); err != nil {
		return wrap(ctx, "delete", err)
	}
	return nil
}

// del deletes rk, replicated like every write.
func (s *Store) del(ctx context.Context, op, rk string) error {
	return s.write(ctx, op, rk, func(p redis.Pipeliner) func() bool {
		p.Del(ctx, rk)
		return nil
	})
}

// Lock takes the distributed lock for key: SET lock token NX PX ttl with a
// random 128-bit token, retried every LockRetry (jittered) until it
// succeeds or ctx is done. The lock expires by itself after ttl (a ttl of
// zero or less means tokensource.DefaultLockTTL, the rule of every
// Locker in this module). Unless Options.AllowUnreplicated is set, the
// lock counts only once replicas have it (see Options.MinReplicas); when
// they do not acknowledge it in time, Lock releases it and returns an
// error matching ErrNotReplicated. unlock deletes the lock only while it
// still holds this caller's token, uses its own short timeout (ctx may be
// done by then), and is safe to call more than once.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error) {
	if ttl <= 0 {
		ttl = tokensource.DefaultLockTTL
	}
	ttl = roundUpMs(ttl)
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("rediscache: lock token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	lk := lockKey(s.redisKey(key))
	for {
		if err := ctx.Err(); err != nil {
			return nil, wrap(ctx, "waiting for lock", err)
		}
		var set *redis.BoolCmd
		err := s.write(ctx, "lock", lk, func(p redis.Pipeliner) func() bool {
			set = p.SetNX(ctx, lk, token, ttl)
			return set.Val
		})
		ok := set != nil && set.Val()
		if err != nil {
			var rerr redis.Error
			if !errors.As(err, &rerr) {
				// The SET may have reached Redis (its reply was lost or
				// ctx ended mid-flight), or did but no replica has it
				// (ErrNotReplicated): release what may be ours. The
				// goroutine ends within unlockTimeout.
				go s.release(context.WithoutCancel(ctx), lk, token)
			}
			return nil, wrap(ctx, "lock", err)
		}
		if ok {
			break
		}
		t := time.NewTimer(s.jitter())
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, wrap(ctx, "waiting for lock", ctx.Err())
		}
	}
	base := context.WithoutCancel(ctx) // keeps ctx's values (tracing), not its end
	var once sync.Once
	return func() { once.Do(func() { s.release(base, lk, token) }) }, nil
}

// release runs the compare-and-delete script; a failure is ignored
// because the lock expires after its TTL anyway.
func (s *Store) release(base context.Context, lk, token string) {
	ctx, cancel := context.WithTimeout(base, unlockTimeout)
	defer cancel()
	_ = unlockScript.Run(ctx, s.rdb, []string{lk}, token).Err()
}

// jitter is the pause before the next lock attempt: LockRetry × [0.5, 1.5).
func (s *Store) jitter() time.Duration {
	return s.retry/2 + time.Duration(mrand.Int64N(int64(s.retry)))
}

// roundUpMs rounds d > 0 up to a whole number of milliseconds, at least 1.
func roundUpMs(d time.Duration) time.Duration {
	return max((d+time.Millisecond-1)/time.Millisecond*time.Millisecond, time.Millisecond)
}
