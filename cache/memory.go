package cache

import (
	"bytes"
	"context"
	"github.com/tokenward/tokenward/internal/clock"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Memory is an in-process cache. The zero value is ready to use; it is
// safe for concurrent use. Its Lock (tokensource.Locker) coordinates the
// sources of one process that share a key.
type Memory struct {
	mu      sync.Mutex
	entries map[string]memEntry
	locks   map[string]chan struct{}
	clk     clock.Clock // nil: clock.Real; tests replace it
}

type memEntry struct {
	data   []byte
	expiry time.Time
}

// String describes m without its entries, which hold tokens, for %v
// and %s.
func (m *Memory) String() string {
	return "cache.Memory{entries: " + strconv.Itoa(m.len()) + "}"
}

// GoString describes m without its entries, for %#v.
func (m *Memory) GoString() string { return m.String() }

// LogValue describes m without its entries, for log/slog.
func (m *Memory) LogValue() slog.Value { return slog.GroupValue(slog.Int("entries", m.len())) }

func (m *Memory) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

func (m *Memory) clock() clock.Clock {
	if m.clk != nil {
		return m.clk
	}
	return clock.Real
}

// Load returns a copy of the entry for key, or (nil, nil) when there is
// none or it has expired.
func (m *Memory) Load(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		return nil, nil
	}
	if !e.expiry.IsZero() && !m.clock().Now().Before(e.expiry) {
		delete(m.entries, key)
		return nil, nil
	}
	return bytes.Clone(e.data), nil
}

// Save stores a copy of data under key until expiry (zero: no expiry).
func (m *Memory) Save(ctx context.Context, key string, data []byte, expiry time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = make(map[string]memEntry)
	}
	m.entries[key] = memEntry{data: bytes.Clone(data), expiry: expiry}
	return nil
}

// Delete removes the entry for key.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, key)
	return nil
}

// Lock takes the in-process lock for key, waiting until it is free or ctx
// is done. The lock is released by unlock or, if its holder never calls
// unlock, after ttl (a ttl of zero or less means
// tokensource.DefaultLockTTL).
func (m *Memory) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error) {
	for {
		m.mu.Lock()
		if m.locks == nil {
			m.locks = make(map[string]chan struct{})
		}
		held, busy := m.locks[key]
		if !busy {
			ch := make(chan struct{})
			m.locks[key] = ch
			m.mu.Unlock()
			return lease(m.clock(), func() {
				m.mu.Lock()
				if m.locks[key] == ch {
					delete(m.locks, key)
				}
				m.mu.Unlock()
				close(ch)
			}, ttl), nil
		}
		m.mu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
