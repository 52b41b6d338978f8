package cache_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/cache/cachetest"
	"github.com/tokenward/tokenward/tokensource"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestSealedConformance(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) tokensource.Cache {
		s, err := cache.NewSealed(newFile(t), key(1))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSealedHidesAndRotates(t *testing.T) {
	ctx := context.Background()
	inner := new(cache.Memory)
	old, _ := cache.NewSealed(inner, key(1))
	secret := []byte(`{"v":1,"refresh_token":"rt-very-secret"}`)
	if err := old.Save(ctx, "k", secret, time.Time{}); err != nil {
		t.Fatal(err)
	}
	raw, _ := inner.Load(ctx, "k")
	if bytes.Contains(raw, []byte("rt-very-secret")) {
		t.Fatal("the underlying cache holds the plaintext")
	}

	// Rotation: a new key reads entries sealed with the old one and writes
	// with the new one.
	rotated, _ := cache.NewSealed(inner, key(2), key(1))
	got, err := rotated.Load(ctx, "k")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Load with the old key listed: %q, %v; want the entry", got, err)
	}
	rotated.Save(ctx, "k", secret, time.Time{})
	if _, err := old.Load(ctx, "k"); !errors.Is(err, cache.ErrUnsealable) {
		t.Errorf("old-key-only Load of a rotated entry: %v; want ErrUnsealable", err)
	}
	newOnly, _ := cache.NewSealed(inner, key(2))
	if got, err := newOnly.Load(ctx, "k"); err != nil || !bytes.Equal(got, secret) {
		t.Errorf("new-key Load: %q, %v; want the entry", got, err)
	}
}

func TestSealedRejectsTamperingAndSwaps(t *testing.T) {
	ctx := context.Background()
	inner := new(cache.Memory)
	s, _ := cache.NewSealed(inner, key(7))
	s.Save(ctx, "a", []byte("token-a"), time.Time{})
	s.Save(ctx, "b", []byte("token-b"), time.Time{})
	rawA, _ := inner.Load(ctx, "a")

	inner.Save(ctx, "b", rawA, time.Time{}) // swap a's entry into b
	if _, err := s.Load(ctx, "b"); !errors.Is(err, cache.ErrUnsealable) {
		t.Errorf("swapped entry: %v; want ErrUnsealable", err)
	}
	tampered := bytes.Clone(rawA)
	tampered[len(tampered)-1] ^= 1
	inner.Save(ctx, "a", tampered, time.Time{})
	if _, err := s.Load(ctx, "a"); !errors.Is(err, cache.ErrUnsealable) {
		t.Errorf("tampered entry: %v; want ErrUnsealable", err)
	}
	inner.Save(ctx, "a", []byte("plaintext"), time.Time{})
	if _, err := s.Load(ctx, "a"); !errors.Is(err, cache.ErrUnsealable) {
		t.Errorf("unsealed entry: %v; want ErrUnsealable", err)
	}
	for _, bad := range [][]byte{nil, make([]byte, 16), make([]byte, 33)} {
		if _, err := cache.NewSealed(inner, bad); err == nil {
			t.Errorf("NewSealed with a %d-byte key succeeded; want an error", len(bad))
		}
	}
}

// TestSealedWithCached shows a corrupt sealed entry is a miss for a
// tokensource.Cached, which then asks its source.
func TestSealedWithCached(t *testing.T) {
	ctx := context.Background()
	inner := new(cache.Memory)
	inner.Save(ctx, "k", []byte("not sealed"), time.Time{})
	s, _ := cache.NewSealed(inner, key(3))
	src := tokensource.FromOAuth2(staticSource("fresh"))
	c := tokensource.New(src, &tokensource.Options{Cache: s, CacheKey: "k", Logger: discardLogger()})
	tok, err := c.TokenContext(ctx)
	if err != nil || tok.AccessToken != "fresh" {
		t.Fatalf("got %v, %v; want the source's token", tok, err)
	}
	data, err := s.Load(ctx, "k")
	if err != nil || data == nil {
		t.Fatalf("after the refresh the sealed cache holds %q, %v; want the new entry", data, err)
	}
}

// nonLocker is a Cache that is not a Locker.
type nonLocker struct{ tokensource.Cache }

func TestSealedLockerMatchesInner(t *testing.T) {
	for _, tt := range []struct {
		name  string
		inner tokensource.Cache
		want  bool
	}{
		{"Memory", new(cache.Memory), true},
		{"File", newFile(t), true},
		{"not a Locker", nonLocker{new(cache.Memory)}, false},
	} {
		s, err := cache.NewSealed(tt.inner, key(1))
		if err != nil {
			t.Fatal(err)
		}
		if _, got := s.(tokensource.Locker); got != tt.want {
			t.Errorf("%s: NewSealed result is a Locker = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestSealedLockDelegates(t *testing.T) {
	inner := new(cache.Memory)
	s, _ := cache.NewSealed(inner, key(1))
	unlock, err := s.(tokensource.Locker).Lock(context.Background(), "k", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := inner.Lock(short, "k", time.Second); err == nil {
		t.Error("the wrapped cache's lock is free while the Sealed lock is held")
	}
}

// TestSealedReplayOpens documents the limit of sealing: an older sealed
// entry put back under its key still opens. tokensource's record version
// is the defence (it never adopts an older record than it holds).
func TestSealedReplayOpens(t *testing.T) {
	ctx := context.Background()
	inner := new(cache.Memory)
	s, _ := cache.NewSealed(inner, key(3))
	s.Save(ctx, "k", []byte("rt-1"), time.Time{})
	old, _ := inner.Load(ctx, "k")
	s.Save(ctx, "k", []byte("rt-2"), time.Time{})
	inner.Save(ctx, "k", old, time.Time{})
	if got, err := s.Load(ctx, "k"); err != nil || string(got) != "rt-1" {
		t.Errorf("Load of a replayed entry = %q, %v; want rt-1 (documented: sealing does not bind a version)", got, err)
	}
}
