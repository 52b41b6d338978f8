package rediscache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultReplicaTimeout bounds each WAIT for replica acknowledgements.
const DefaultReplicaTimeout = time.Second

// ErrNotReplicated is matched (errors.Is) by the [*ReplicationError] a
// Lock, Save or Delete returns when too few replicas acknowledged the
// write in time.
var ErrNotReplicated = errors.New("rediscache: write not acknowledged by enough replicas")

// ReplicationError reports a write that the primary applied but too few
// replicas acknowledged within the timeout, so a failover could lose it.
type ReplicationError struct {
	Op      string        // "lock", "save" or "delete"
	Want    int           // replicas required
	Got     int           // replicas that acknowledged
	Timeout time.Duration // how long WAIT waited
}

func (e *ReplicationError) Error() string {
	return fmt.Sprintf("rediscache: %s: %d of %d replicas acknowledged within %v; a failover could lose it (see Options.MinReplicas)", e.Op, e.Got, e.Want, e.Timeout)
}

// Is makes the error match ErrNotReplicated.
func (e *ReplicationError) Is(target error) bool { return target == ErrNotReplicated }

// conn returns one connection to the primary that holds the Redis key rk:
// WAIT counts the acknowledged writes of its own connection, so the write
// and its WAIT must share one.
func (s *Store) conn(ctx context.Context, rk string) (*redis.Conn, error) {
	switch c := s.rdb.(type) {
	case *redis.Client: // standalone and Sentinel (NewFailoverClient)
		return c.Conn(), nil
	case *redis.ClusterClient:
		node, err := c.MasterForKey(ctx, rk)
		if err != nil {
			return nil, err
		}
		return node.Conn(), nil
	case *redis.Ring:
		shard, err := c.GetShardClientForKey(rk)
		if err != nil {
			return nil, err
		}
		return shard.Conn(), nil
	}
	return nil, fmt.Errorf("rediscache: cannot wait for replicas with a %T (set Options.AllowUnreplicated)", s.rdb)
}

// write runs the commands that add do on one connection to the primary of
// rk, and then, unless the Store allows unreplicated writes, waits until
// enough replicas have acknowledged them (WAIT). With MinReplicas zero it
// asks the primary (ROLE, in the same round trip as the write) whether it
// has replicas, and waits for one if it has. applied reports whether the
// write changed anything that must be replicated (a SET NX that lost does
// not). On a ReplicationError the write has reached the primary.
func (s *Store) write(ctx context.Context, op, rk string, do func(p redis.Pipeliner) (applied func() bool)) error {
	if s.unreplicated {
		p := s.rdb.Pipeline()
		do(p)
		_, err := p.Exec(ctx)
		return err
	}
	cn, err := s.conn(ctx, rk)
	if err != nil {
		return err
	}
	defer cn.Close()
	var role *redis.Cmd
	var applied func() bool
	if _, err := cn.Pipelined(ctx, func(p redis.Pipeliner) error {
		if s.minReplicas == 0 {
			role = p.Do(ctx, "ROLE")
		}
		applied = do(p)
		return nil
	}); err != nil {
		return err
	}
	if applied != nil && !applied() {
		return nil
	}
	want := s.minReplicas
	if role != nil {
		if want = min(replicaCount(role), 1); want == 0 {
			return nil // a primary without replicas: nothing a failover could lose
		}
	}
	timeout := s.replicaTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl)*9/10)
	}
	ms := max(timeout.Milliseconds(), 1) // WAIT n 0 would block forever
	got, err := cn.Do(ctx, "WAIT", want, ms).Int()
	if err != nil {
		return err
	}
	if got < want {
		return &ReplicationError{Op: op, Want: want, Got: got, Timeout: time.Duration(ms) * time.Millisecond}
	}
	return nil
}

// replicaCount is the number of replicas in a ROLE reply of a primary:
// ["master", offset, [[ip, port, offset], ...]]. A replica or an
// unexpected reply counts as none.
func replicaCount(role *redis.Cmd) int {
	v, err := role.Slice()
	if err != nil || len(v) < 3 || v[0] != "master" {
		return 0
	}
	replicas, _ := v[2].([]any)
	return len(replicas)
}
