package rediscache_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache/rediscache"
	"github.com/tokenward/tokenward/internal/fleet"
	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

func failoverClient(t *testing.T, set *testenv.SentinelSet) *redis.Client {
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:            testenv.SentinelMaster,
		SentinelAddrs:         set.SentinelAddrs(),
		ContextTimeoutEnabled: true,
		DialTimeout:           200 * time.Millisecond,
		MaxRetries:            1,
	})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// TestReplicaLagIsAnError pauses the only replica: a lock or a Save that
// no replica acknowledges is an error (the lock is released), unless the
// Store allows unreplicated writes.
func TestReplicaLagIsAnError(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Sentinel set")
	}
	set := testenv.Sentinel(t)
	rdb := failoverClient(t, set)
	s := rediscache.New(rdb, &rediscache.Options{ReplicaTimeout: 200 * time.Millisecond})
	loose := rediscache.New(rdb, &rediscache.Options{AllowUnreplicated: true})

	// In sync: everything works.
	if err := s.Save(bg, "k", []byte("v1"), time.Time{}); err != nil {
		t.Fatalf("Save with the replica in sync: %v", err)
	}

	set.Replica.Pause()
	defer set.Replica.Resume()
	err := s.Save(bg, "k", []byte("v2"), time.Time{})
	var re *rediscache.ReplicationError
	if !errors.Is(err, rediscache.ErrNotReplicated) || !errors.As(err, &re) || re.Want != 1 || re.Got != 0 {
		t.Errorf("Save with the replica paused: %v; want a ReplicationError (0 of 1)", err)
	}
	_, err = s.Lock(bg, "k", 5*time.Second)
	if !errors.Is(err, rediscache.ErrNotReplicated) {
		t.Errorf("Lock with the replica paused: %v; want ErrNotReplicated", err)
	}
	if err := loose.Save(bg, "k", []byte("v3"), time.Time{}); err != nil {
		t.Errorf("Save with AllowUnreplicated: %v; want nil", err)
	}
	set.Replica.Resume()

	// The unreplicated lock was released: it can be taken again at once.
	ctx, cancel := context.WithTimeout(bg, 2*time.Second)
	defer cancel()
	unlock, err := s.Lock(ctx, "k", 5*time.Second)
	if err != nil {
		t.Fatalf("Lock after the replica resumed: %v; want the unreplicated lock released", err)
	}
	unlock()
}

// TestMinReplicasWithoutReplicas: a standalone server has no replica, so
// auto mode does not wait, and MinReplicas 1 fails in ReplicaTimeout.
func TestMinReplicasWithoutReplicas(t *testing.T) {
	rdb, prefix := testRedis(t)
	for _, tt := range []struct {
		name string
		opts rediscache.Options
		want error
	}{
		{"auto", rediscache.Options{Prefix: prefix}, nil},
		{"MinReplicas 1", rediscache.Options{Prefix: prefix, MinReplicas: 1, ReplicaTimeout: 50 * time.Millisecond}, rediscache.ErrNotReplicated},
		{"AllowUnreplicated", rediscache.Options{Prefix: prefix, MinReplicas: 1, AllowUnreplicated: true}, nil},
	} {
		s := rediscache.New(rdb, &tt.opts)
		if got := s.Save(bg, "k", []byte("v"), time.Time{}); !errors.Is(got, tt.want) || (tt.want == nil && got != nil) {
			t.Errorf("%s: Save = %v; want %v", tt.name, got, tt.want)
		}
	}
}

// TestFailoverKeepsLockAndRecord takes a lock and saves a rotated record,
// kills the primary with SIGKILL right after, and checks through a
// Sentinel client that the new primary has both.
func TestFailoverKeepsLockAndRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Sentinel set and fails it over")
	}
	set := testenv.Sentinel(t)
	rdb := failoverClient(t, set)
	s := rediscache.New(rdb, &rediscache.Options{Prefix: "failover:"})
	if err := s.Save(bg, "user", []byte("record v1"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(bg, "user", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(bg, "user", []byte("record v2 (rotated)"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	old := set.Primary.Addr
	start := time.Now()
	set.Primary.Kill()
	addr := set.WaitFailover(t, old, 30*time.Second)
	t.Logf("failover from %s to %s in %v", old, addr, time.Since(start).Round(time.Millisecond))

	after := rediscache.New(failoverClient(t, set), &rediscache.Options{Prefix: "failover:"})
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	var got []byte
	var err error
	for ctx.Err() == nil { // the client may need a moment to follow the switch
		if got, err = after.Load(ctx, "user"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if string(got) != "record v2 (rotated)" {
		t.Errorf("record after the failover = %q, %v; want the rotated record", got, err)
	}
	short, cancel2 := context.WithTimeout(bg, 300*time.Millisecond)
	defer cancel2()
	if _, err := after.Lock(short, "user", time.Second); err == nil {
		t.Error("the lock was free after the failover; want it still held (it was replicated)")
	}
}

// TestRotationsThroughFailover runs sources that share a Sentinel-backed
// Store against a server that rotates refresh tokens and detects their
// reuse, kills the primary mid-run, and counts invalid_grant answers.
func TestRotationsThroughFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Sentinel set and fails it over")
	}
	const (
		sources = 4
		life    = time.Second
		run     = 8 * time.Second
	)
	set := testenv.Sentinel(t)
	srv := fleet.NewServer(t, life)
	var logs testlog.Buffer
	var calls, errs, invalidGrant atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	end := time.Now().Add(run)
	// A refresh-token grant: an invalid_grant is not hidden by a new
	// password login, it reaches the caller.
	seed, err := fleet.Conf(srv.TokenURL()).PasswordCredentialsToken(bg, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	for range sources { // like processes: each has its own client and in-memory token
		store := rediscache.New(failoverClient(t, set), &rediscache.Options{Prefix: "rotations:"})
		src := fleet.Conf(srv.TokenURL()).TokenSource(seed,
			&tokensource.Options{Cache: store, CacheKey: "fleet", ExpiryWindow: 300 * time.Millisecond, RefreshTimeout: 10 * time.Second,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				calls.Add(1)
				ctx, cancel := context.WithTimeout(bg, 10*time.Second)
				_, err := src.TokenContext(ctx)
				cancel()
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					var re *oauth2.RetrieveError
					if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
						invalidGrant.Add(1)
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	time.Sleep(2500 * time.Millisecond)
	old := set.Primary.Addr
	killed := time.Now()
	set.Primary.Kill()
	addr := set.WaitFailover(t, old, 30*time.Second)
	failover := time.Since(killed)
	wg.Wait()
	refreshes := srv.GrantRequests(oauth2test.GrantRefreshToken)
	t.Logf("%d sources, token lifetime %v, %v run, primary killed at 2.5s, failover to %s in %v: %d calls, %d errors, %d invalid_grant, %d refresh requests (rotations), %d refreshes without the lock; first error: %v",
		sources, life, run, addr, failover.Round(time.Millisecond), calls.Load(), errs.Load(), invalidGrant.Load(),
		refreshes, strings.Count(logs.String(), "refreshing without it"), firstErr.Load())
	if unlocked := strings.Count(logs.String(), "refreshing without it"); unlocked > 0 {
		t.Errorf("refreshes without the lock = %d; want 0 (a refresh-token source never renews without it)", unlocked)
	}
	if invalidGrant.Load() != 0 {
		t.Errorf("invalid_grant answers = %d; want 0 (a failover must not lose a rotation or a lock)", invalidGrant.Load())
	}
	if refreshes < 3 {
		t.Errorf("refreshes = %d; want several rotations during the run", refreshes)
	}
}
