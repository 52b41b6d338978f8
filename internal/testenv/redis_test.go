package testenv_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/internal/testenv"
)

func TestRedis(t *testing.T) {
	s := testenv.Redis(t)
	if got := s.Do(t, "ping"); got != "PONG" {
		t.Fatalf("PING = %q; want PONG", got)
	}
}

func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five servers")
	}
	set := testenv.Sentinel(t)
	set.Primary.Do(t, "set", "k", "v")
	set.Primary.Do(t, "wait", "1", "1000")
	old := set.Primary.Addr
	start := time.Now()
	set.Primary.Kill()
	addr := set.WaitFailover(t, old, 20*time.Second)
	t.Logf("failover to %s in %v", addr, time.Since(start))
	if addr != set.Replica.Addr {
		t.Errorf("new primary %s; want the replica %s", addr, set.Replica.Addr)
	}
	if got := set.Replica.Do(t, "get", "k"); got != "v" {
		t.Errorf("GET k on the new primary = %q; want v", got)
	}
}

func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers")
	}
	c := testenv.Cluster(t)
	out := c.Nodes[0].Do(t, "cluster", "info")
	if !strings.Contains(out, "cluster_known_nodes:3") {
		t.Errorf("cluster info:\n%s\nwant 3 known nodes", out)
	}
}
