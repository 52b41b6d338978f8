package fleet

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokenward/tokenward/cache/rediscache"
	"github.com/tokenward/tokenward/internal/oidctest"
	"github.com/tokenward/tokenward/tokensource"
)

// redisBackend opens the Redis cache named by "ADDR|PREFIX".
func redisBackend(t *testing.T, arg string) tokensource.Cache {
	addr, prefix, _ := strings.Cut(arg, "|")
	rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	return rediscache.New(rdb, &rediscache.Options{Prefix: prefix})
}

func redisSpec(t *testing.T) string {
	addr := oidctest.RequireEnv(t, oidctest.EnvRedisAddr)
	return fmt.Sprintf("redis:%s|tokenward-fleet-%d:", addr, rand.Int64())
}

func TestFleetRedisCache(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process proof")
	}
	fleetProof(t, redisSpec(t))
}

func TestFleetKilledLockHolderRedis(t *testing.T) {
	const ttl = 2 * time.Second
	waited := killedHolder(t, redisSpec(t), ttl)
	t.Logf("redis lock free %v after its holder was killed (TTL %v)", waited, ttl)
	if waited > ttl+500*time.Millisecond {
		t.Errorf("waited %v; want the lock back within its TTL %v", waited, ttl)
	}
}
