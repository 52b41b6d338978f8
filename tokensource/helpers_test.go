package tokensource

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/clock"
	"github.com/tokenward/tokenward/internal/record"
	"github.com/tokenward/tokenward/internal/testlog"
)

// fakeClock is the shared fake clock.
type fakeClock = clock.Fake

func newFakeClock() *fakeClock {
	return clock.NewFake(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
}

// fakeSource issues numbered tokens that live for life on clk.
type fakeSource struct {
	clk    *fakeClock
	life   time.Duration
	calls  atomic.Int32
	gate   chan struct{} // if set, each call waits for a value
	mu     sync.Mutex
	errs   []error // returned (and consumed) before issuing tokens
	prevs  []*oauth2.Token
	onCall func(n int32) // if set, runs at the start of each call
}

func (s *fakeSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.issue(ctx, nil)
}

func (s *fakeSource) issue(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	n := s.calls.Add(1)
	if s.onCall != nil {
		s.onCall(n)
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prevs = append(s.prevs, prev)
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return nil, err
	}
	tok := &oauth2.Token{
		AccessToken:  "at-" + itoa(int(n)),
		TokenType:    "bearer",
		RefreshToken: "rt-" + itoa(int(n)),
		Expiry:       s.clk.Now().Add(s.life),
	}
	return tok, nil
}

func (s *fakeSource) failNext(errs ...error) {
	s.mu.Lock()
	s.errs = append(s.errs, errs...)
	s.mu.Unlock()
}

func (s *fakeSource) lastPrev() *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.prevs) == 0 {
		return nil
	}
	return s.prevs[len(s.prevs)-1]
}

// renewSource is a fakeSource that is also a Renewer.
type renewSource struct{ *fakeSource }

func (s renewSource) Renew(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	return s.issue(ctx, prev)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// memCache is a minimal Cache (and optionally a Locker) for tests.
type memCache struct {
	mu      sync.Mutex
	data    map[string][]byte
	expiry  map[string]time.Time
	saves   int
	loadErr error
	saveErr error
	lockMu  sync.Mutex // the "cross-process" lock
	locks   int
}

func newMemCache() *memCache {
	return &memCache{data: map[string][]byte{}, expiry: map[string]time.Time{}}
}

func (m *memCache) Load(ctx context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loadErr != nil {
		return nil, m.loadErr
	}
	return bytes.Clone(m.data[key]), nil
}

func (m *memCache) Save(ctx context.Context, key string, data []byte, expiry time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saveErr != nil {
		return m.saveErr
	}
	m.saves++
	m.data[key] = bytes.Clone(data)
	m.expiry[key] = expiry
	return nil
}

func (m *memCache) Delete(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, key)
	return nil
}

// lockingCache adds Locker to memCache.
type lockingCache struct{ *memCache }

func (l lockingCache) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	l.lockMu.Lock()
	l.mu.Lock()
	l.locks++
	l.mu.Unlock()
	var once sync.Once
	return func() { once.Do(l.lockMu.Unlock) }, nil
}

// newTestLogger returns an info-level text logger and what it writes.
func newTestLogger() (*slog.Logger, *testlog.Buffer) {
	b := &testlog.Buffer{}
	return slog.New(slog.NewTextHandler(b, nil)), b
}

// newTestCached builds a Cached on a fake clock.
func newTestCached(t *testing.T, src Source, clk *fakeClock, opts *Options) *Cached {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	if opts.Logger == nil {
		opts.Logger, _ = newTestLogger()
	}
	c := New(src, opts)
	c.clk = clk
	return c
}

func mustToken(t *testing.T, c *Cached) *oauth2.Token {
	t.Helper()
	tok, err := c.TokenContext(context.Background())
	if err != nil {
		t.Fatalf("TokenContext: %v", err)
	}
	return tok
}

var errBoom = errors.New("boom: endpoint down")

// peerVersion numbers the records that tests write as a peer process
// would: newer than any this process wrote on the fake clock.
var peerVersion atomic.Uint64

// encodeAt encodes tok as a peer's cache record, obtained at saved.
func encodeAt(tok *oauth2.Token, saved time.Time) ([]byte, error) {
	return record.Encode(record.Record{Token: tok, Saved: saved, Version: 1<<62 + peerVersion.Add(1)})
}
