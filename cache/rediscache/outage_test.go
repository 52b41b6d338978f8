package rediscache_test

import (
	"bytes"
	"context"
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

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRedisDownMidRun stops Redis (as seen by the client) in the middle of
// a run: requests keep working from the in-process token and from the
// token endpoint, with warnings, and nothing panics.
func TestRedisDownMidRun(t *testing.T) {
	p := newProxy(t, redisAddr(t))
	rdb := redis.NewClient(&redis.Options{Addr: p.ln.Addr().String(), ContextTimeoutEnabled: true, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	store := rediscache.New(rdb, &rediscache.Options{Prefix: "tokenward-outage-" + strings.ReplaceAll(t.Name(), "/", "-") + ":"})

	srv := fleet.NewServer(t, time.Hour)
	var logs syncBuffer
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
	// A renewal during the outage still works, straight from the endpoint.
	src.Invalidate(first)
	second, err := src.TokenContext(ctx)
	if err != nil {
		t.Fatalf("renewal during the Redis outage: %v", err)
	}
	if second.AccessToken == first.AccessToken {
		t.Fatal("renewal during the outage returned the invalidated token")
	}
	for _, want := range []string{"cache lock failed", "cache load failed", "cache save failed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
	for _, secret := range []string{first.AccessToken, first.RefreshToken, second.AccessToken, second.RefreshToken, fleet.ClientSecret, oauth2test.DefaultPassword} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a secret leaked into the logs")
		}
	}
}
