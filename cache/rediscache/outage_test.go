package rediscache_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokenward/tokenward/cache/rediscache"
	"github.com/tokenward/tokenward/internal/fleet"
	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// proxy forwards TCP connections to a target until it is stopped, which
// cuts every connection: to its clients, the target went down.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	p.wg.Add(1)
	go func() { // ends when the listener is closed by stop
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); io.Copy(up, c); up.Close() }()
			go func() { defer p.wg.Done(); io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) stop() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// TestRedisDownMidRun stops Redis (as seen by the client) in the middle of
// a run: requests keep working from the in-process token, with warnings, a
// renewal that needs the lock fails clearly, and nothing panics.
func TestRedisDownMidRun(t *testing.T) {
	p := newProxy(t, redisAddr(t))
	rdb := redis.NewClient(&redis.Options{Addr: p.ln.Addr().String(), ContextTimeoutEnabled: true, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	store := rediscache.New(rdb, &rediscache.Options{Prefix: "tokenward-outage-" + strings.ReplaceAll(t.Name(), "/", "-") + ":"})

	srv := fleet.NewServer(t, time.Hour)
	var logs testlog.Buffer
	src := fleet.Conf(srv.TokenURL()).PasswordSource(oauth2test.DefaultUsername, oauth2test.DefaultPassword, &tokensource.Options{
		Cache: store, RefreshTimeout: 5 * time.Second, LockTTL: time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	ctx := context.Background()
	first, err := src.TokenContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := store.Load(ctx, src.Key()); data == nil {
		t.Fatal("the token was not saved to Redis before the outage")
	}

	p.stop() // Redis goes away
	for range 100 {
		tok, err := src.TokenContext(ctx)
		if err != nil || tok != first {
			t.Fatalf("during the outage: %v, %v; want the in-process token", tok, err)
		}
	}
	// A password source renews with a refresh token: never without the
	// lock. With the token rejected and Redis down, it fails clearly and
	// sends no refresh request (a second refresh of a rotating token would
	// revoke it at a server with reuse detection).
	before := srv.GrantRequests(oauth2test.GrantRefreshToken)
	src.Invalidate(first)
	_, err = src.TokenContext(ctx)
	if !errors.Is(err, tokensource.ErrNotLocked) {
		t.Fatalf("renewal during the Redis outage: got %v; want tokensource.ErrNotLocked", err)
	}
	if n := srv.GrantRequests(oauth2test.GrantRefreshToken) - before; n != 0 {
		t.Errorf("refresh requests without the lock = %d; want 0", n)
	}
	for _, want := range []string{"cache lock failed", "cache load failed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
	for _, secret := range []string{first.AccessToken, first.RefreshToken, fleet.ClientSecret, oauth2test.DefaultPassword} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a secret leaked into the logs")
		}
	}
}
