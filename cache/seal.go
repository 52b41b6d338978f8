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
//
// Sealing hides and authenticates an entry; it does not make it current.
// An entry is bound to its key, not to a version or a time: whoever can
// write the underlying cache can put back an older sealed entry of the
// same key (a replay, or a restored backup), and it opens. The defence is
// tokensource's record version: a source that holds a newer record never
// adopts an older one, and writes its own back. A process that starts
// with nothing but the replayed entry does adopt it; with a rotating
// refresh token the server then refuses the old refresh token
// (invalid_grant) and the user logs in again; nothing older than what the
// attacker could already read is disclosed.
//
// A Sealed is not a tokensource.Locker; NewSealed adds Lock exactly when
// the cache it wraps is one.
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
//
// The result is a *Sealed when c is not a tokensource.Locker. When c is
// one (Memory, File, a Redis store), the result also implements Locker by
// delegating to c, so wrapping a cache never silently drops its
// cross-process lock, and never adds a lock that does not exclude anyone.
func NewSealed(c tokensource.Cache, key []byte, oldKeys ...[]byte) (tokensource.Cache, error) {
	s, err := newSealed(c, key, oldKeys)
	if err != nil {
		return nil, err
	}
	if l, ok := c.(tokensource.Locker); ok {
		return &sealedLocker{Sealed: s, l: l}, nil
	}
	return s, nil
}

// sealedLocker is a Sealed over a cache that is a Locker.
type sealedLocker struct {
	*Sealed
	l tokensource.Locker
}

// Lock delegates to the wrapped cache's lock.
func (s *sealedLocker) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error) {
	return s.l.Lock(ctx, key, ttl)
}

func newSealed(c tokensource.Cache, key []byte, oldKeys [][]byte) (*Sealed, error) {
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
