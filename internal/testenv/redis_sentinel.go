package testenv

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// SentinelMaster is the master name the Sentinels of [Sentinel] monitor.
const SentinelMaster = "tokenward"

// Sentinel timings: a primary is considered down after
// SentinelDownAfter without answering; a failover is retried after
// failover-timeout.
const (
	SentinelDownAfter       = 500 * time.Millisecond
	sentinelFailoverTimeout = 2 * time.Second
)

// SentinelSet is a primary, one replica and three Sentinels (quorum 2).
type SentinelSet struct {
	Primary   *RedisServer
	Replica   *RedisServer
	Sentinels []*RedisServer
}

// SentinelAddrs returns the Sentinels' addresses, for
// redis.FailoverOptions.SentinelAddrs.
func (s *SentinelSet) SentinelAddrs() []string { return addrs(s.Sentinels) }

// Sentinel starts a primary, a replica that is in sync with it, and three
// Sentinels that agree on the primary; everything is killed when t ends.
func Sentinel(t testing.TB) *SentinelSet {
	t.Helper()
	Require(t, "redis-server", "redis-cli")
	fast := []string{"repl-diskless-sync yes", "repl-diskless-sync-delay 0", "repl-ping-replica-period 1"}
	set := &SentinelSet{Primary: startRedis(t, false, fast)}
	set.Replica = startRedis(t, false, append(fast, "replicaof 127.0.0.1 "+strconv.Itoa(set.Primary.Port)))
	waitFor(t, 10*time.Second, "replica in sync", func() bool {
		return info(set.Replica.Port, "replication", "master_link_status") == "up" &&
			info(set.Primary.Port, "replication", "connected_slaves") == "1"
	})
	for range 3 {
		set.Sentinels = append(set.Sentinels, startRedis(t, true, []string{
			"sentinel monitor " + SentinelMaster + " 127.0.0.1 " + strconv.Itoa(set.Primary.Port) + " 2",
			"sentinel down-after-milliseconds " + SentinelMaster + " " + strconv.Itoa(int(SentinelDownAfter/time.Millisecond)),
			"sentinel failover-timeout " + SentinelMaster + " " + strconv.Itoa(int(sentinelFailoverTimeout/time.Millisecond)),
			"sentinel parallel-syncs " + SentinelMaster + " 1",
		}))
	}
	// Every Sentinel must know the replica and the other Sentinels, or a
	// failover cannot reach its quorum.
	waitFor(t, 15*time.Second, "sentinels discover each other and the replica", func() bool {
		for _, s := range set.Sentinels {
			out, err := cli(s.Port, "sentinel", "master", SentinelMaster)
			if err != nil || !strings.Contains(out, "num-other-sentinels\n2") || !strings.Contains(out, "num-slaves\n1") {
				return false
			}
		}
		return true
	})
	return set
}

// WaitFailover waits until the Sentinels name a primary other than old
// and that server answers as a master; it returns the new primary's
// address.
func (s *SentinelSet) WaitFailover(t testing.TB, old string, timeout time.Duration) string {
	t.Helper()
	var addr string
	waitFor(t, timeout, "sentinel failover", func() bool {
		for _, x := range s.Sentinels {
			out, err := cli(x.Port, "sentinel", "get-master-addr-by-name", SentinelMaster)
			if err != nil {
				continue
			}
			f := strings.Fields(out)
			if len(f) != 2 || f[0]+":"+f[1] == old {
				continue
			}
			port, _ := strconv.Atoi(f[1])
			if info(port, "replication", "role") == "master" {
				addr = f[0] + ":" + f[1]
				return true
			}
		}
		return false
	})
	return addr
}
