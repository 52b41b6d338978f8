package keychain

// Unit tests. They use fakeBackend, injected into Store.kr, and never
// keyring.MockInit: that replaces go-keyring's provider for the whole
// process, and TestSecretServiceConformance in this test binary needs
// the real one. Only the Example calls MockInit, and examples run after
// all tests.

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache/cachetest"
	"github.com/tokenward/tokenward/tokensource"
	"github.com/zalando/go-keyring"
)

func TestConformanceFake(t *testing.T) {
	for _, size := range []int{0, 64} {
		t.Run(fmt.Sprintf("ChunkSize=%d", size), func(t *testing.T) {
			cachetest.Run(t, func(t *testing.T) tokensource.Cache {
				return newFakeEnv(t, &Options{ChunkSize: size}).store
			})
		})
	}
}

func TestChunkingFake(t *testing.T) { runChunkTests(t, newFakeEnv) }

// runChunkTests runs the chunking tests against newEnv's keychain; the
// real Secret Service test runs them too.
func runChunkTests(t *testing.T, newEnv func(t *testing.T, opts *Options) env) {
	t.Run("SplitsAndJoins", func(t *testing.T) {
		e := newEnv(t, &Options{ChunkSize: 16})
		val := randomBytes(t, 300) // incompressible: 400 base64 chars, 25 chunks
		mustSave(t, e.store, "k", val, time.Time{})
		if got := mustLoad(t, e.store, "k"); !bytes.Equal(got, val) {
			t.Fatalf("Load = %d bytes; want the %d saved", len(got), len(val))
		}
		acct := account("k")
		for i := range 25 {
			c, err := e.kr.Get(e.store.service, chunkAccount(acct, i))
			if err != nil || len(c) == 0 || len(c) > 16 {
				t.Fatalf("chunk %d = %q, %v; want 1..16 characters", i, c, err)
			}
		}
		if _, err := e.kr.Get(e.store.service, chunkAccount(acct, 25)); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("chunk 25: %v; want ErrNotFound", err)
		}
		if e.accounts != nil {
			if n := len(e.accounts()); n != 26 {
				t.Fatalf("%d items; want 25 chunks and a head", n)
			}
		}
	})

	t.Run("SmallValueIsOneItem", func(t *testing.T) {
		e := newEnv(t, nil)
		mustSave(t, e.store, "k", []byte("small"), time.Time{})
		if _, err := e.kr.Get(e.store.service, chunkAccount(account("k"), 0)); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("chunk 0 of a small value: %v; want ErrNotFound", err)
		}
		if got := mustLoad(t, e.store, "k"); string(got) != "small" {
			t.Fatalf("Load = %q", got)
		}
	})

	t.Run("CompressesBeforeSplitting", func(t *testing.T) {
		e := newEnv(t, nil)
		val := bytes.Repeat([]byte(`{"access_token":"eyJhbGciOi","token_type":"Bearer"}`), 200) // 10 KB
		mustSave(t, e.store, "k", val, time.Time{})
		if _, err := e.kr.Get(e.store.service, chunkAccount(account("k"), 0)); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("a 10 KB value that compresses well was chunked (%v); want one item", err)
		}
		if got := mustLoad(t, e.store, "k"); !bytes.Equal(got, val) {
			t.Fatal("Load did not return the saved value")
		}
	})

	t.Run("TornWriteMissingChunk", func(t *testing.T) {
		e := newEnv(t, &Options{ChunkSize: 16})
		mustSave(t, e.store, "k", randomBytes(t, 100), time.Time{})
		if err := e.kr.Delete(e.store.service, chunkAccount(account("k"), 3)); err != nil {
			t.Fatal(err)
		}
		got, err := e.store.Load(bg, "k")
		if got != nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("Load with a chunk missing = %d bytes, %v; want nil and ErrCorrupt (missing)", len(got), err)
		}
		// The next Save repairs it.
		mustSave(t, e.store, "k", []byte("fresh"), time.Time{})
		if got := mustLoad(t, e.store, "k"); string(got) != "fresh" {
			t.Fatalf("Load after a repairing Save = %q", got)
		}
	})

	t.Run("TornWriteAlteredChunk", func(t *testing.T) {
		e := newEnv(t, &Options{ChunkSize: 16})
		secret := randomBytes(t, 100)
		mustSave(t, e.store, "k", secret, time.Time{})
		// A crash after the new value's chunk 0 was written, before its
		// head: chunk 0 is new, the rest and the head are old.
		c0 := chunkAccount(account("k"), 0)
		old, err := e.kr.Get(e.store.service, c0)
		if err != nil {
			t.Fatal(err)
		}
		altered := []byte(old)
		altered[5] = 'A' // still valid base64, so only the checksum can tell
		if old[5] == 'A' {
			altered[5] = 'B'
		}
		if err := e.kr.Set(e.store.service, c0, string(altered)); err != nil {
			t.Fatal(err)
		}
		got, err := e.store.Load(bg, "k")
		if got != nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checksum") {
			t.Fatalf("Load with an altered chunk = %d bytes, %v; want nil and ErrCorrupt (checksum)", len(got), err)
		}
		if strings.Contains(err.Error(), old) || strings.Contains(err.Error(), string(altered)) {
			t.Fatalf("the error shows stored data: %v", err)
		}
	})

	t.Run("TornWriteMissingHead", func(t *testing.T) {
		// A crash before the first head was written: chunks without a
		// head are a miss, and the next Save or Delete clears them.
		e := newEnv(t, &Options{ChunkSize: 16})
		mustSave(t, e.store, "k", randomBytes(t, 100), time.Time{})
		if err := e.kr.Delete(e.store.service, account("k")); err != nil {
			t.Fatal(err)
		}
		if got := mustLoad(t, e.store, "k"); got != nil {
			t.Fatalf("Load without a head = %q; want a miss", got)
		}
		if err := e.store.Delete(bg, "k"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.kr.Get(e.store.service, chunkAccount(account("k"), 0)); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("orphan chunk 0 after Delete: %v; want ErrNotFound", err)
		}
	})

	t.Run("StaleChunksRemoved", func(t *testing.T) {
		e := newEnv(t, &Options{ChunkSize: 16})
		acct := account("k")
		mustSave(t, e.store, "k", randomBytes(t, 150), time.Time{}) // 200 chars: 13 chunks
		mustSave(t, e.store, "k", randomBytes(t, 60), time.Time{})  // 80 chars: 5 chunks
		for i := 5; i < 13; i++ {
			if _, err := e.kr.Get(e.store.service, chunkAccount(acct, i)); !errors.Is(err, keyring.ErrNotFound) {
				t.Fatalf("stale chunk %d after a smaller Save: %v; want ErrNotFound", i, err)
			}
		}
		if _, err := e.kr.Get(e.store.service, chunkAccount(acct, 4)); err != nil {
			t.Fatalf("chunk 4 of the new value: %v", err)
		}
		mustSave(t, e.store, "k", []byte("inline"), time.Time{})
		e2 := NewWithOptions(e.store.service, nil) // big chunks: the value is inline
		e2.kr = e.store.kr
		mustSave(t, e2, "k", []byte("inline"), time.Time{})
		if _, err := e.kr.Get(e.store.service, chunkAccount(acct, 0)); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("stale chunk 0 after an inline Save: %v; want ErrNotFound", err)
		}
		if e.accounts != nil {
			if got := e.accounts(); len(got) != 1 {
				t.Fatalf("items after an inline Save: %q; want the head only", got)
			}
		}
	})

	t.Run("StaleChunksAfterCrashedCleanup", func(t *testing.T) {
		// A Save of 5 chunks crashed while removing the old value's
		// chunks 5..12 (top down), leaving 5..9; the head says 5.
		e := newEnv(t, &Options{ChunkSize: 16})
		acct := account("k")
		mustSave(t, e.store, "k", randomBytes(t, 150), time.Time{}) // 13 chunks
		for i := 12; i >= 10; i-- {
			if err := e.kr.Delete(e.store.service, chunkAccount(acct, i)); err != nil {
				t.Fatal(err)
			}
		}
		mustSave(t, e.store, "k", randomBytes(t, 60), time.Time{}) // 5 chunks
		for i := 5; i < 13; i++ {
			if _, err := e.kr.Get(e.store.service, chunkAccount(acct, i)); !errors.Is(err, keyring.ErrNotFound) {
				t.Fatalf("chunk %d survived: %v", i, err)
			}
		}
	})

	t.Run("DeleteRemovesAllChunks", func(t *testing.T) {
		e := newEnv(t, &Options{ChunkSize: 16})
		mustSave(t, e.store, "k", randomBytes(t, 100), time.Time{})
		mustSave(t, e.store, "other", []byte("keep"), time.Time{})
		if err := e.store.Delete(bg, "k"); err != nil {
			t.Fatal(err)
		}
		acct := account("k")
		for i := range 10 {
			if _, err := e.kr.Get(e.store.service, chunkAccount(acct, i)); !errors.Is(err, keyring.ErrNotFound) {
				t.Fatalf("chunk %d after Delete: %v; want ErrNotFound", i, err)
			}
		}
		if got := mustLoad(t, e.store, "other"); string(got) != "keep" {
			t.Fatalf("another key after Delete = %q", got)
		}
		if e.accounts != nil {
			for _, a := range e.accounts() {
				if strings.HasPrefix(a, acct) {
					t.Fatalf("item %q left after Delete", a)
				}
			}
		}
	})

	t.Run("ExpiredChunkedEntryIsMiss", func(t *testing.T) {
		e := newEnv(t, &Options{ChunkSize: 16})
		mustSave(t, e.store, "k", randomBytes(t, 100), time.Now().Add(-time.Second))
		if got := mustLoad(t, e.store, "k"); got != nil {
			t.Fatalf("expired entry: Load = %d bytes; want nil", len(got))
		}
	})

	t.Run("DefaultChunksFitWindows", func(t *testing.T) {
		e := newEnv(t, nil)
		val := randomBytes(t, 20000)
		mustSave(t, e.store, "k", val, time.Time{})
		for i := 0; ; i++ {
			c, err := e.kr.Get(e.store.service, chunkAccount(account("k"), i))
			if errors.Is(err, keyring.ErrNotFound) {
				if i < 10 {
					t.Fatalf("%d chunks for 20000 random bytes; want >= 14", i)
				}
				break
			}
			if err != nil || len(c) > 2560 {
				t.Fatalf("chunk %d: %d bytes, %v; want <= 2560", i, len(c), err)
			}
		}
		if got := mustLoad(t, e.store, "k"); !bytes.Equal(got, val) {
			t.Fatal("Load did not return the saved value")
		}
	})

	t.Run("AccountHidesKey", func(t *testing.T) {
		e := newEnv(t, nil)
		key := "https://idp.example/token|client|alice@example.com"
		mustSave(t, e.store, key, []byte("x"), time.Time{})
		if e.accounts != nil {
			for _, a := range e.accounts() {
				if strings.Contains(a, "alice") || !strings.HasPrefix(a, "tw-") {
					t.Fatalf("account %q shows the key or lacks the prefix", a)
				}
			}
		}
		if _, err := e.kr.Get(e.store.service, account(key)); err != nil {
			t.Fatalf("head under the hashed account: %v", err)
		}
	})
}

func TestExpiry(t *testing.T) {
	e := newFakeEnv(t, nil)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	e.store.now = func() time.Time { return now }
	mustSave(t, e.store, "k", []byte("tok"), now.Add(time.Minute))
	if got := mustLoad(t, e.store, "k"); string(got) != "tok" {
		t.Fatalf("before expiry: %q", got)
	}
	now = now.Add(time.Minute)
	if got := mustLoad(t, e.store, "k"); got != nil {
		t.Fatalf("at expiry: %q; want nil", got)
	}
}

func TestEmptyValue(t *testing.T) {
	e := newFakeEnv(t, nil)
	mustSave(t, e.store, "k", []byte{}, time.Time{})
	got, err := e.store.Load(bg, "k")
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Load of an empty value = %#v, %v; want []byte{}, nil", got, err)
	}
}

func TestForeignOrFutureItem(t *testing.T) {
	for name, item := range map[string]string{
		"not json":     "hunter2",
		"newer format": `{"v":2,"d":"eA=="}`,
		"bad count":    `{"v":1,"n":999999,"sum":"x"}`,
		"bad base64":   `{"v":1,"d":"!!!"}`,
		"bad deflate":  `{"v":1,"z":true,"d":"eHl6"}`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newFakeEnv(t, nil)
			if err := e.kr.Set(e.store.service, account("k"), item); err != nil {
				t.Fatal(err)
			}
			got, err := e.store.Load(bg, "k")
			if got != nil || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Load = %q, %v; want nil, ErrCorrupt", got, err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error shows the item: %v", err)
			}
			if err := e.store.Delete(bg, "k"); err != nil {
				t.Fatalf("Delete of a corrupt entry: %v", err)
			}
		})
	}
}

func TestTooBig(t *testing.T) {
	e := newFakeEnv(t, &Options{ChunkSize: 3000})
	e.kr.(*fakeBackend).maxLen = 2560
	err := e.store.Save(bg, "k", randomBytes(t, 5000), time.Time{})
	if !errors.Is(err, keyring.ErrSetDataTooBig) || !strings.Contains(err.Error(), "ChunkSize") {
		t.Fatalf("Save = %v; want ErrSetDataTooBig and a hint about ChunkSize", err)
	}
}

func TestNewDefaults(t *testing.T) {
	s := New("")
	if s.service != DefaultService || s.chunkSize != DefaultChunkSize || s.fallback != nil {
		t.Fatalf("New(\"\") = service %q, chunk %d, fallback %v", s.service, s.chunkSize, s.fallback)
	}
	if _, ok := s.kr.(osKeyring); !ok {
		t.Fatalf("backend %T; want the OS keychain", s.kr)
	}
	if s := NewWithOptions("x", &Options{ChunkSize: 1}); s.chunkSize != 16 {
		t.Fatalf("ChunkSize 1 became %d; want 16", s.chunkSize)
	}
	var _ tokensource.Cache = s
	if _, ok := any(s).(tokensource.Locker); ok {
		t.Fatal("Store is a Locker; keychains cannot lock")
	}
}
