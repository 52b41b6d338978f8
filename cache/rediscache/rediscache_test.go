package rediscache_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache/cachetest"
	"github.com/tokenward/tokenward/cache/rediscache"
	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/tokensource"
)

var (
	_ tokensource.Cache  = (*rediscache.Store)(nil)
	_ tokensource.Locker = (*rediscache.Store)(nil)
)

var bg = context.Background()

// redisAddr is a redis-server started for t (skipped without one, failed
// under CI).
func redisAddr(t *testing.T) string {
	t.Helper()
	return testenv.Redis(t).Addr
}

// testRedis returns a client of the test Redis (see redisAddr) and a key
// prefix unique to t whose keys are deleted when t ends.
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	addr := redisAddr(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	ctx, cancel := context.WithTimeout(bg, 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		t.Fatalf("redis-server at %s does not answer: %v", addr, err)
	}
	prefix := "tokenward-test:" + t.Name() + ":" + randHex(t, 6) + ":"
	t.Cleanup(func() {
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(bg, 5*time.Second)
		defer cancel()
		for _, k := range scanKeys(t, rdb, prefix) {
			if err := rdb.Del(ctx, k).Err(); err != nil {
				t.Errorf("cleanup: DEL: %v", err)
			}
		}
	})
	return rdb, prefix
}

func randHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// scanKeys lists the keys under prefix with SCAN.
func scanKeys(t *testing.T, rdb redis.UniversalClient, prefix string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(bg, 0, globEscape(prefix)+"*", 100).Iterator()
	for iter.Next(bg) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	return keys
}

// globEscape quotes the characters that are special in a SCAN MATCH pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\^-`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// entryKey is the Redis key the package documents for key.
func entryKey(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + "{" + hex.EncodeToString(sum[:])[:40] + "}"
}

func newStore(t *testing.T) (*rediscache.Store, *redis.Client, string) {
	t.Helper()
	rdb, prefix := testRedis(t)
	return rediscache.New(rdb, &rediscache.Options{Prefix: prefix, LockRetry: 10 * time.Millisecond}), rdb, prefix
}

func TestConformance(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) tokensource.Cache {
		s, _, _ := newStore(t)
		return s
	})
}

func TestConformanceDefaultRetry(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) tokensource.Cache {
		rdb, prefix := testRedis(t)
		return rediscache.New(rdb, &rediscache.Options{Prefix: prefix})
	})
}

func TestTTLFollowsExpiry(t *testing.T) {
	s, rdb, prefix := newStore(t)
	rk := entryKey(prefix, "ttl")

	if err := s.Save(bg, "ttl", []byte("short"), time.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	pttl := rdb.PTTL(bg, rk).Val()
	if pttl <= 9*time.Second || pttl > 10*time.Second {
		t.Errorf("PTTL after Save with expiry in 10s = %v; want about 10s", pttl)
	}

	// Zero expiry (a refresh token is kept): no TTL, even over an entry with one.
	if err := s.Save(bg, "ttl", []byte("keep"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if pttl := rdb.PTTL(bg, rk).Val(); pttl != -1 {
		t.Errorf("PTTL after Save with zero expiry over an entry with a TTL = %v; want -1 (no TTL)", pttl)
	}
	if got, _ := s.Load(bg, "ttl"); string(got) != "keep" {
		t.Errorf("Load = %q; want keep", got)
	}

	// A TTL again, then an expiry in the past: the key is gone.
	if err := s.Save(bg, "ttl", []byte("later"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if pttl := rdb.PTTL(bg, rk).Val(); pttl <= 59*time.Minute || pttl > time.Hour {
		t.Errorf("PTTL with expiry in 1h = %v", pttl)
	}
	if err := s.Save(bg, "ttl", []byte("stale"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(bg, rk).Val(); n != 0 {
		t.Errorf("after Save with a past expiry the key exists (EXISTS = %d); want it deleted", n)
	}
	if err := s.Save(bg, "never", []byte("stale"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(bg, entryKey(prefix, "never")).Val(); n != 0 {
		t.Errorf("Save with a past expiry stored a new key")
	}

	// Sub-millisecond remainders round up, never to 0 (which would mean no TTL).
	if err := s.Save(bg, "tiny", []byte("x"), time.Now().Add(1500*time.Microsecond)); err != nil {
		t.Fatal(err)
	}
	if pttl := rdb.PTTL(bg, entryKey(prefix, "tiny")).Val(); pttl == -1 {
		t.Errorf("a short expiry stored the key without a TTL")
	}
}

// TestWithTokensource checks the TTL policy and the lock through
// tokensource.Cached, as users run it: several "processes" share a key,
// and only one of them calls the token endpoint.
func TestWithTokensource(t *testing.T) {
	for _, refresh := range []bool{false, true} {
		t.Run(fmt.Sprintf("refresh=%v", refresh), func(t *testing.T) {
			s, rdb, prefix := newStore(t)
			var calls atomic.Int32
			src := sourceFunc(func(ctx context.Context) (*oauth2.Token, error) {
				calls.Add(1)
				time.Sleep(50 * time.Millisecond) // a slow token endpoint
				tok := &oauth2.Token{AccessToken: "at-secret", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
				if refresh {
					tok.RefreshToken = "rt-secret"
				}
				return tok, nil
			})
			var wg sync.WaitGroup
			for range 5 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := tokensource.New(src, &tokensource.Options{Cache: s, CacheKey: "shared-client"})
					tok, err := c.TokenContext(bg)
					if err != nil || tok.AccessToken != "at-secret" {
						t.Errorf("TokenContext = %v, %v", tok, err)
					}
				}()
			}
			wg.Wait()
			if n := calls.Load(); n != 1 {
				t.Errorf("token endpoint called %d times by 5 processes sharing a Redis cache; want 1", n)
			}
			pttl := rdb.PTTL(bg, entryKey(prefix, "shared-client")).Val()
			if refresh && pttl != -1 {
				t.Errorf("with a refresh token PTTL = %v; want -1 (never evict a usable refresh token)", pttl)
			}
			if !refresh && (pttl <= 59*time.Minute || pttl > time.Hour) {
				t.Errorf("without a refresh token PTTL = %v; want the access token's 1h", pttl)
			}
		})
	}
}

type sourceFunc func(ctx context.Context) (*oauth2.Token, error)

func (f sourceFunc) TokenContext(ctx context.Context) (*oauth2.Token, error) { return f(ctx) }

func TestNoKeyTextInRedis(t *testing.T) {
	s, rdb, prefix := newStore(t)
	keys := []string{"https://as.example/token|client-xyz|alice@example.com", "secret-looking key {tag}", "k"}
	for _, k := range keys {
		if err := s.Save(bg, k, []byte("v"), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := s.Lock(bg, keys[0], 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	got := scanKeys(t, rdb, prefix)
	if len(got) != len(keys)+1 {
		t.Fatalf("SCAN %s* = %q; want %d keys (entries and one lock)", prefix, got, len(keys)+1)
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `\{[0-9a-f]{40}\}(:lock)?$`)
	for _, rk := range got {
		if !re.MatchString(rk) {
			t.Errorf("Redis key %q is not prefix{40 hex digits}[:lock]", rk)
		}
		for _, k := range keys {
			if len(k) > 1 && strings.Contains(rk, k) {
				t.Errorf("Redis key %q contains the cache key %q", rk, k)
			}
		}
	}
	if n := rdb.Exists(bg, entryKey(prefix, keys[0]), entryKey(prefix, keys[0])+":lock").Val(); n != 2 {
		t.Errorf("entry and lock keys not found where documented (EXISTS = %d)", n)
	}
}

func TestUnlockSafety(t *testing.T) {
	s, rdb, prefix := newStore(t)
	lk := entryKey(prefix, "job") + ":lock"

	unlockA, err := s.Lock(bg, "job", 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	tokenA := rdb.Get(bg, lk).Val()
	if len(tokenA) != 32 {
		t.Errorf("lock value %q; want a 128-bit random token in hex", tokenA)
	}
	if pttl := rdb.PTTL(bg, lk).Val(); pttl <= 0 || pttl > 100*time.Millisecond {
		t.Errorf("lock PTTL = %v; want at most 100ms", pttl)
	}
	time.Sleep(200 * time.Millisecond) // A's lock expires while A still "works"

	ctx, cancel := context.WithTimeout(bg, 2*time.Second)
	defer cancel()
	unlockB, err := s.Lock(ctx, "job", 5*time.Second)
	if err != nil {
		t.Fatalf("Lock after the first holder's TTL: %v", err)
	}
	tokenB := rdb.Get(bg, lk).Val()
	if tokenB == tokenA || tokenB == "" {
		t.Fatalf("second holder's token %q vs first %q; want a new one", tokenB, tokenA)
	}

	unlockA() // late: must not release B's lock
	unlockA()
	if got := rdb.Get(bg, lk).Val(); got != tokenB {
		t.Fatalf("after the expired holder's unlock the lock holds %q; want the second holder's %q", got, tokenB)
	}
	short, cancel2 := context.WithTimeout(bg, 100*time.Millisecond)
	defer cancel2()
	if _, err := s.Lock(short, "job", time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock while B holds it = %v; want context.DeadlineExceeded", err)
	}

	unlockB()
	if n := rdb.Exists(bg, lk).Val(); n != 0 {
		t.Errorf("lock still exists after its holder's unlock")
	}
	unlockB() // idempotent
}

func TestUnlockAfterCallerContextEnds(t *testing.T) {
	s, rdb, prefix := newStore(t)
	ctx, cancel := context.WithCancel(bg)
	unlock, err := s.Lock(ctx, "k", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cancel() // as tokensource does right after Lock returns
	unlock()
	if n := rdb.Exists(bg, entryKey(prefix, "k")+":lock").Val(); n != 0 {
		t.Errorf("unlock after the Lock context ended did not release the lock")
	}
}

func TestLockContext(t *testing.T) {
	s, _, _ := newStore(t)
	canceled, cancel := context.WithCancel(bg)
	cancel()
	if _, err := s.Lock(canceled, "k", time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with a canceled context = %v; want context.Canceled", err)
	}
	unlock, err := s.Lock(bg, "k", 0) // zero TTL: the default, never a lock without expiry
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel2 := context.WithCancel(bg)
	time.AfterFunc(50*time.Millisecond, cancel2)
	start := time.Now()
	_, err = s.Lock(ctx, "k", time.Second)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "rediscache:") {
		t.Errorf("Lock canceled while waiting = %v; want a rediscache error matching context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Lock returned %v after its context was canceled", d)
	}
}

func TestDefaultLockTTL(t *testing.T) {
	s, rdb, prefix := newStore(t)
	unlock, err := s.Lock(bg, "k", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	pttl := rdb.PTTL(bg, entryKey(prefix, "k")+":lock").Val()
	if pttl <= 0 || pttl > tokensource.DefaultLockTTL {
		t.Errorf("lock PTTL with ttl 0 = %v; want the default %v", pttl, tokensource.DefaultLockTTL)
	}
}

func TestPrefixes(t *testing.T) {
	rdb, prefix := testRedis(t)
	a := rediscache.New(rdb, &rediscache.Options{Prefix: prefix + "a:"})
	b := rediscache.New(rdb, &rediscache.Options{Prefix: prefix + "b:"})
	if err := a.Save(bg, "same", []byte("from a"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Load(bg, "same"); got != nil || err != nil {
		t.Errorf("store b sees store a's entry: %q, %v", got, err)
	}
	if err := b.Save(bg, "same", []byte("from b"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(bg, "same"); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Load(bg, "same"); string(got) != "from a" {
		t.Errorf("store a's entry after b's Delete = %q; want from a", got)
	}
	ua, err := a.Lock(bg, "same", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer ua()
	ctx, cancel := context.WithTimeout(bg, time.Second)
	defer cancel()
	ub, err := b.Lock(ctx, "same", 5*time.Second)
	if err != nil {
		t.Fatalf("b's lock is blocked by a's: %v", err)
	}
	ub()
	if n := rdb.Exists(bg, entryKey(prefix+"a:", "same")).Val(); n != 1 {
		t.Errorf("entry not under its store's prefix")
	}
}

func TestDefaultPrefix(t *testing.T) {
	rdb, _ := testRedis(t)
	s := rediscache.New(rdb, nil)
	key := "tokenward-test-default-prefix-" + randHex(t, 8)
	rk := entryKey("tokenward:", key)
	t.Cleanup(func() { rdb.Del(bg, rk) })
	if err := s.Save(bg, key, []byte("x"), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(bg, rk).Val(); n != 1 {
		t.Errorf("New(rdb, nil) did not store under the default prefix tokenward:")
	}
	if err := s.Delete(bg, key); err != nil {
		t.Fatal(err)
	}
}

// TestRedisErrors checks that Redis errors reach the caller wrapped, so
// they can be tested with errors.As.
func TestRedisErrors(t *testing.T) {
	s, rdb, prefix := newStore(t)
	rdb.LPush(bg, entryKey(prefix, "list"), "not a string")
	_, err := s.Load(bg, "list")
	var rerr redis.Error
	if err == nil || !errors.As(err, &rerr) || !strings.HasPrefix(err.Error(), "rediscache: ") {
		t.Fatalf("Load of a key of the wrong type = %v; want a rediscache error wrapping redis.Error", err)
	}
	if !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Errorf("error %q does not carry Redis's message", err)
	}
}

// TestRedisDown points a Store at a closed port: every call fails with an
// error within its context, without a panic.
func TestRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	s := rediscache.New(rdb, nil)

	const key = "user@example.com-key"
	ops := map[string]func(ctx context.Context) error{
		"Load": func(ctx context.Context) error { _, err := s.Load(ctx, key); return err },
		"Save": func(ctx context.Context) error {
			return s.Save(ctx, key, []byte("at-secret"), time.Now().Add(time.Hour))
		},
		"Delete": func(ctx context.Context) error { return s.Delete(ctx, key) },
		"Lock": func(ctx context.Context) error {
			u, err := s.Lock(ctx, key, time.Second)
			if err == nil {
				u()
			}
			return err
		},
	}
	for name, op := range ops {
		ctx, cancel := context.WithTimeout(bg, 500*time.Millisecond)
		start := time.Now()
		err := op(ctx)
		d := time.Since(start)
		cancel()
		if err == nil {
			t.Errorf("%s with Redis down: nil error", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "rediscache: ") {
			t.Errorf("%s error %q does not start with rediscache:", name, err)
		}
		if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "at-secret") {
			t.Errorf("%s error %q contains the key or the value", name, err)
		}
		if d > 1500*time.Millisecond {
			t.Errorf("%s with Redis down took %v with a 500ms context", name, d)
		}
		t.Logf("%s: %v (%v)", name, err, d.Round(time.Millisecond))
	}
}

// TestRedisHung points a Store at a server that accepts connections and
// never answers: with ContextTimeoutEnabled (as the package documentation
// recommends) every call ends with its context.
func TestRedisHung(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	rdb := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	s := rediscache.New(rdb, nil)
	for name, op := range map[string]func(ctx context.Context) error{
		"Load": func(ctx context.Context) error { _, err := s.Load(ctx, "k"); return err },
		"Save": func(ctx context.Context) error { return s.Save(ctx, "k", []byte("v"), time.Time{}) },
		"Lock": func(ctx context.Context) error { _, err := s.Lock(ctx, "k", time.Second); return err },
	} {
		ctx, cancel := context.WithTimeout(bg, 300*time.Millisecond)
		start := time.Now()
		err := op(ctx)
		d := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s against a hung server = %v; want context.DeadlineExceeded", name, err)
		}
		if d > time.Second {
			t.Errorf("%s against a hung server took %v with a 300ms context", name, d)
		}
	}
}
