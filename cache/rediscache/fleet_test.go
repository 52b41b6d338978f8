package rediscache_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokenward/tokenward/cache/rediscache"
	"github.com/tokenward/tokenward/internal/fleet"
	"github.com/tokenward/tokenward/tokensource"
)

// The multi-process proofs of internal/fleet, on a Redis cache: each child
// process re-executes this test binary (TestFleetChild).

// fleetRedis opens the Redis cache named by "ADDR|PREFIX".
func fleetRedis(t *testing.T, kind, arg string) tokensource.Cache {
	if kind != "redis" {
		t.Fatalf("unknown backend %q", kind)
	}
	addr, prefix, _ := strings.Cut(arg, "|")
	rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	return rediscache.New(rdb, &rediscache.Options{Prefix: prefix})
}

func TestFleetChild(t *testing.T) { fleet.Child(t, fleetRedis) }

func fleetSpec(t *testing.T) string {
	return fmt.Sprintf("redis:%s|tokenward-fleet-%d:", redisAddr(t), rand.Int64())
}

func TestFleetRedisCache(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process proof")
	}
	fleet.Proof(t, fleetRedis, fleetSpec(t), fleet.Processes)
}

func TestFleetKilledLockHolderRedis(t *testing.T) {
	const ttl = 2 * time.Second
	waited := fleet.KilledHolder(t, fleetRedis, fleetSpec(t), ttl)
	t.Logf("redis lock free %v after its holder was killed (TTL %v)", waited, ttl)
	if waited > ttl+500*time.Millisecond {
		t.Errorf("waited %v; want the lock back within its TTL %v", waited, ttl)
	}
}
