package rediscache_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokenward/tokenward/cache/cachetest"
	"github.com/tokenward/tokenward/cache/rediscache"
	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/tokensource"
)

// TestClusterConformance runs the conformance suite against a real
// three-master Redis Cluster: every command touches one slot (an entry
// and its lock share a hash tag).
func TestClusterConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	c := testenv.Cluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	cachetest.Run(t, func(t *testing.T) tokensource.Cache {
		return rediscache.New(rdb, &rediscache.Options{Prefix: "cluster-" + randHex(t, 4) + ":", LockRetry: 10 * time.Millisecond})
	})
	// The entries spread over the masters (the suite's keys hash to
	// different slots), so more than one node was exercised.
	used := 0
	for _, node := range c.Nodes {
		if node.Do(t, "dbsize") != "0" {
			used++
		}
	}
	if used < 2 {
		t.Errorf("%d of 3 masters hold entries; want the keys spread over the cluster", used)
	}
}
