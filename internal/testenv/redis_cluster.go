package testenv

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ClusterSet is a Redis Cluster of three masters without replicas.
type ClusterSet struct {
	Nodes []*RedisServer
}

// Addrs returns the nodes' addresses, for redis.ClusterOptions.Addrs.
func (c *ClusterSet) Addrs() []string { return addrs(c.Nodes) }

// Cluster starts three cluster-enabled redis-servers, joins them with
// redis-cli --cluster create (16384 slots over three masters), and waits
// until every node reports cluster_state:ok; the nodes are killed when t
// ends.
func Cluster(t testing.TB) *ClusterSet {
	t.Helper()
	Require(t, "redis-server", "redis-cli")
	c := &ClusterSet{}
	for range 3 {
		c.Nodes = append(c.Nodes, startRedis(t, false, []string{
			"cluster-enabled yes",
			"cluster-config-file nodes.conf",
			"cluster-node-timeout 2000",
		}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := []string{"--cluster", "create"}
	args = append(args, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("testenv: redis-cli --cluster create: %v\n%s", err, out)
	}
	waitFor(t, 20*time.Second, "cluster_state:ok on every node", func() bool {
		for _, n := range c.Nodes {
			if info(n.Port, "cluster", "cluster_enabled") != "1" {
				return false
			}
			out, err := cli(n.Port, "cluster", "info")
			if err != nil || !strings.Contains(out, "cluster_state:ok") {
				return false
			}
		}
		return true
	})
	return c
}
