package keychain

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenward/tokenward/tokensource"
	"github.com/zalando/go-keyring"
)

// lockStripes serialises this process's operations per account.
const lockStripes = 64

// Options configures a Store made by NewWithOptions. The zero value (and
// nil) gives New's behaviour.
type Options struct {
	// ChunkSize is the largest item, in characters, the Store writes;
	// larger values are split over several items. 0 means
	// DefaultChunkSize. Values below 16 are raised to 16.
	ChunkSize int

	// Fallback, when not nil, is used instead of the keychain once the
	// keychain has been found unavailable (an error matching
	// ErrUnavailable): from then on, for the rest of the Store's life,
	// every Load, Save and Delete goes to Fallback, so the process never
	// flip-flops between two stores holding different tokens. The switch
	// is logged once, as a warning. Nil (the default) means that such an
	// error is returned: tokensource treats it as a cache miss, logs it,
	// and the process keeps working from its in-memory token.
	//
	// A cache.File fallback stores tokens, refresh tokens included, in
	// plaintext on disk (readable by the user's processes and backups)
	// unless it is wrapped with cache.NewSealed.
	Fallback tokensource.Cache

	// Logger receives the fallback warning and warnings about stale
	// chunks that could not be removed. Nil means slog.Default().
	Logger *slog.Logger
}

// Store is a tokensource.Cache in the OS keychain. Entries are items
// whose service is the Store's service name and whose account is a hash
// of the cache key, so no key text appears in the keychain's UI. Large
// values are compressed and, when still larger than Options.ChunkSize,
// split over several items with a checksum.
//
// Store does not implement tokensource.Locker: keychains have no lock.
// For cross-process refresh coordination use cache.File's lock or
// cache/rediscache.
//
// go-keyring calls cannot be cancelled: each method checks its context
// before it starts (Load also between chunks), but a call in progress,
// for example one waiting on an unlock prompt, runs to its end. A Store
// is safe for concurrent use.
type Store struct {
	service   string
	chunkSize int
	fallback  tokensource.Cache
	logger    *slog.Logger
	kr        backend
	now       func() time.Time // tests replace it

	locks       [lockStripes]sync.Mutex
	useFallback atomic.Bool
	warnOnce    sync.Once
}

// New returns a Store that keeps entries in the OS keychain under
// service (for example "tokenward", or your program's name). An empty
// service means DefaultService. New does not contact the keychain; an
// unreachable keychain shows as errors matching ErrUnavailable.
func New(service string) *Store {
	return NewWithOptions(service, nil)
}

// NewWithOptions is New with options; opts may be nil.
func NewWithOptions(service string, opts *Options) *Store {
	if service == "" {
		service = DefaultService
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	switch {
	case o.ChunkSize == 0:
		o.ChunkSize = DefaultChunkSize
	case o.ChunkSize < 16:
		o.ChunkSize = 16
	}
	return &Store{
		service:   service,
		chunkSize: o.ChunkSize,
		fallback:  o.Fallback,
		logger:    o.Logger,
		kr:        osKeyring{},
	}
}

func (s *Store) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func (s *Store) log() *slog.Logger {
	if s.logger != nil {
		return s.logger
	}
	return slog.Default()
}

func (s *Store) lock(acct string) func() {
	h := sha256.Sum256([]byte(acct))
	m := &s.locks[int(h[0])%lockStripes]
	m.Lock()
	return m.Unlock
}

// corrupt reports a codec error as ErrCorrupt, naming the service.
func (s *Store) corrupt(err error) error {
	return fmt.Errorf("%w (service %q): %v", ErrCorrupt, s.service, err)
}

// Load returns the entry for key, or (nil, nil) when there is none or it
// has expired. An entry whose chunks do not add up (a torn write) is an
// error matching ErrCorrupt; no keychain is an error matching
// ErrUnavailable (unless Options.Fallback is set).
func (s *Store) Load(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.useFallback.Load() {
		return s.fallback.Load(ctx, key)
	}
	data, err := s.load(ctx, key)
	if s.fallBack(err) {
		return s.fallback.Load(ctx, key)
	}
	return data, err
}

func (s *Store) load(ctx context.Context, key string) ([]byte, error) {
	acct := account(key)
	defer s.lock(acct)()
	raw, err := s.kr.Get(s.service, acct)
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, s.wrap("reading entry", err)
	}
	env, err := parseHead(raw)
	if err != nil {
		return nil, s.corrupt(err)
	}
	if !env.Expiry.IsZero() && !s.clock().Before(env.Expiry) {
		return nil, nil
	}
	var b strings.Builder
	for i := range env.N {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := s.kr.Get(s.service, chunkAccount(acct, i))
		if errors.Is(err, keyring.ErrNotFound) {
			return nil, s.corrupt(fmt.Errorf("chunk %d of %d is missing (torn write)", i, env.N))
		}
		if err != nil {
			return nil, s.wrap("reading chunk", err)
		}
		b.WriteString(c)
	}
	payload, err := decodeEntry(env, b.String())
	if err != nil {
		return nil, s.corrupt(err)
	}
	return payload, nil
}

// Save stores data under key, to be dropped after expiry (zero: kept).
// A value larger than Options.ChunkSize after compression and base64 is
// written as chunk items first and the head item last; then chunks left
// over from a previous, larger value are removed. Once started, Save
// runs to its end even if ctx is cancelled, so as not to leave a torn
// entry behind.
func (s *Store) Save(ctx context.Context, key string, data []byte, expiry time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.useFallback.Load() {
		return s.fallback.Save(ctx, key, data, expiry)
	}
	err := s.save(key, data, expiry)
	if s.fallBack(err) {
		return s.fallback.Save(ctx, key, data, expiry)
	}
	return err
}

func (s *Store) save(key string, data []byte, expiry time.Time) error {
	head, chunks, err := encodeEntry(data, expiry, s.chunkSize)
	if err != nil {
		return fmt.Errorf("keychain: save (service %q): %w", s.service, err)
	}
	acct := account(key)
	defer s.lock(acct)()
	for i, piece := range chunks {
		if err := s.kr.Set(s.service, chunkAccount(acct, i), piece); err != nil {
			return s.wrap("writing chunk", err)
		}
	}
	if err := s.kr.Set(s.service, acct, head); err != nil {
		return s.wrap("writing entry", err)
	}
	// The value is saved; stale chunks are garbage that the next Save or
	// Delete removes, so failing to remove them is only a warning.
	if err := s.removeChunks(acct, len(chunks)); err != nil {
		s.log().Warn("keychain: could not remove stale chunks; the next Save retries",
			slog.String("service", s.service), slog.Any("error", err))
	}
	return nil
}

// removeChunks deletes the chunk items of acct numbered from and up.
// Chunks are written in ascending and removed in descending order, so the
// existing ones are always #0..#k without gaps and probing upwards finds
// them all, even after a crash half-way through a Save or a Delete.
func (s *Store) removeChunks(acct string, from int) error {
	top := from
	for ; top < from+maxChunks; top++ {
		_, err := s.kr.Get(s.service, chunkAccount(acct, top))
		if errors.Is(err, keyring.ErrNotFound) {
			break
		}
		if err != nil {
			return s.wrap("looking for stale chunks", err)
		}
	}
	for i := top - 1; i >= from; i-- {
		if err := s.kr.Delete(s.service, chunkAccount(acct, i)); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return s.wrap("removing chunk", err)
		}
	}
	return nil
}

// Delete removes the entry for key, all its chunks included. Deleting a
// missing key is not an error. Once started, Delete runs to its end even
// if ctx is cancelled.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.useFallback.Load() {
		return s.fallback.Delete(ctx, key)
	}
	err := s.delete(key)
	if s.fallBack(err) {
		return s.fallback.Delete(ctx, key)
	}
	return err
}

func (s *Store) delete(key string) error {
	acct := account(key)
	defer s.lock(acct)()
	// The head item's chunk count lets removeChunks skip probing the
	// chunks that certainly exist.
	known := 0
	raw, err := s.kr.Get(s.service, acct)
	switch {
	case errors.Is(err, keyring.ErrNotFound):
	case err != nil:
		return s.wrap("reading entry", err)
	default:
		if env, err := parseHead(raw); err == nil {
			known = env.N
		}
		// Head first: from here on Load sees a miss, not a torn entry.
		if err := s.kr.Delete(s.service, acct); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return s.wrap("deleting entry", err)
		}
	}
	if err := s.removeChunks(acct, known); err != nil {
		return err
	}
	for i := known - 1; i >= 0; i-- {
		if err := s.kr.Delete(s.service, chunkAccount(acct, i)); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return s.wrap("removing chunk", err)
		}
	}
	return nil
}
