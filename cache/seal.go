package cache

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/tokenward/tokenward/tokensource"
)

// ErrUnsealable is matched by Load errors for entries that no key opens
// or that were tampered with; tokensource treats them as misses.
var ErrUnsealable = errors.New("cache: entry cannot be unsealed")

const (
	sealVersion = 1
	keyIDSize   = 4
)

// Sealed encrypts the entries of another cache with AES-256-GCM. Each
// entry is bound to its cache key, so entries cannot be swapped between
// keys. It writes with the newest key and reads with it or any older one,
// which allows key rotation. Sealed is safe for concurrent use when the
// underlying cache is.
type Sealed struct {
	inner tokensource.Cache
	aeads []sealKey // aeads[0] writes
}

// String describes s without its keys or entries, for %v and %s.
func (s *Sealed) String() string {
	return "cache.Sealed{keys: " + strconv.Itoa(len(s.aeads)) + "}"
}

// GoString describes s without its keys or entries, for %#v.
func (s *Sealed) GoString() string { return s.String() }

// LogValue describes s without its keys or entries, for log/slog.
func (s *Sealed) LogValue() slog.Value { return slog.GroupValue(slog.Int("keys", len(s.aeads))) }

type sealKey struct {
	id   [keyIDSize]byte
	aead cipher.AEAD
}

// NewSealed returns a cache that seals the entries of c with key, a
// 32-byte AES-256 key, and opens entries sealed with key or any of
// oldKeys. Keep keys out of the cache they protect (for example in the
// OS keychain or a secret manager).
func NewSealed(c tokensource.Cache, key []byte, oldKeys ...[]byte) (*Sealed, error) {
	if c == nil {
		return nil, errors.New("cache: NewSealed needs a cache")
	}
	s := &Sealed{inner: c}
	for i, k := range append([][]byte{key}, oldKeys...) {
		if len(k) != 32 {
			return nil, fmt.Errorf("cache: sealing key %d is %d bytes; want 32 (AES-256)", i, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		sum := sha256.Sum256(append([]byte("tokenward seal key id\x00"), k...))
		var id [keyIDSize]byte
		copy(id[:], sum[:])
		s.aeads = append(s.aeads, sealKey{id: id, aead: aead})
	}
	return s, nil
}

// Load opens the entry for key.
func (s *Sealed) Load(ctx context.Context, key string) ([]byte, error) {
	sealed, err := s.inner.Load(ctx, key)
	if err != nil || sealed == nil {
		return nil, err
	}
	return s.open(key, sealed)
}

// Save seals data with the newest key and stores it.
func (s *Sealed) Save(ctx context.Context, key string, data []byte, expiry time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := s.aeads[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	out := make([]byte, 0, 1+keyIDSize+len(nonce)+len(data)+k.aead.Overhead())
	out = append(out, sealVersion)
	out = append(out, k.id[:]...)
	out = append(out, nonce...)
	out = k.aead.Seal(out, nonce, data, []byte(key))
	return s.inner.Save(ctx, key, out, expiry)
}

// Delete removes the entry for key.
func (s *Sealed) Delete(ctx context.Context, key string) error {
	return s.inner.Delete(ctx, key)
}

// Lock delegates to the underlying cache when it is a tokensource.Locker;
// otherwise it is a no-op lock that always succeeds at once.
func (s *Sealed) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error) {
	if l, ok := s.inner.(tokensource.Locker); ok {
		return l.Lock(ctx, key, ttl)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return func() {}, nil
}

func (s *Sealed) open(key string, sealed []byte) ([]byte, error) {
	nonceSize := s.aeads[0].aead.NonceSize()
	if len(sealed) < 1+keyIDSize+nonceSize || sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: not a sealed entry", ErrUnsealable)
	}
	id := sealed[1 : 1+keyIDSize]
	nonce := sealed[1+keyIDSize : 1+keyIDSize+nonceSize]
	ct := sealed[1+keyIDSize+nonceSize:]
	for _, k := range s.aeads {
		if string(k.id[:]) != string(id) {
			continue
		}
		data, err := k.aead.Open(nil, nonce, ct, []byte(key))
		if err != nil {
			return nil, fmt.Errorf("%w: authentication failed", ErrUnsealable)
		}
		return data, nil
	}
	return nil, fmt.Errorf("%w: sealed with an unknown key", ErrUnsealable)
}
