package keychain

// Unit tests. They use fakeBackend, injected into Store.kr, and never
// keyring.MockInit: that replaces go-keyring's provider for the whole
// process, and TestSecretServiceConformance in this test binary needs
// the real one. Only the Example calls MockInit, and examples run after
// all tests.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache"
	"github.com/zalando/go-keyring"
)

// Errors go-keyring returns when no keychain can be used, as seen on
// Linux (see ../../../shared/recipes/real-services.md) and Windows.
var unavailableErrors = map[string]struct {
	err  error
	hint string
}{
	"no session bus":    {&exec.Error{Name: "dbus-launch", Err: exec.ErrNotFound}, "DBUS_SESSION_BUS_ADDRESS"},
	"dead bus socket":   {errors.New("dial unix /run/user/1000/bus: connect: no such file or directory"), "D-Bus session bus"},
	"no secret service": {osError("The name org.freedesktop.secrets was not provided by any .service files"), "no Secret Service"},
	"locked collection": {errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), "locked"},
	"locked login":      {errors.New("failed to unlock correct collection '/org/freedesktop/secrets/collection/login'"), "unlock the login keyring"},
	"unsupported os":    {keyring.ErrUnsupportedPlatform, "no keychain backend"},
	"windows service":   {osError("A specified logon session does not exist. It may already have been terminated."), "logon session"},
}

// osError is an error with a text written by someone else (D-Bus,
// Windows), capitals and full stops included.
func osError(text string) error { return errors.New(text) }

func TestUnavailable(t *testing.T) {
	for name, tc := range unavailableErrors {
		t.Run(name, func(t *testing.T) {
			e := newFakeEnv(t, nil)
			e.kr.(*fakeBackend).setFail(func(string, string, string) error { return tc.err })
			_, lerr := e.store.Load(bg, "k")
			serr := e.store.Save(bg, "k", []byte("secret-token-value"), time.Time{})
			derr := e.store.Delete(bg, "k")
			for op, err := range map[string]error{"Load": lerr, "Save": serr, "Delete": derr} {
				if !errors.Is(err, ErrUnavailable) || !errors.Is(err, tc.err) {
					t.Errorf("%s: %v; want ErrUnavailable wrapping the cause", op, err)
					continue
				}
				if !strings.HasPrefix(err.Error(), "keychain: ") {
					t.Errorf("%s: %q; want the package name first", op, err)
				}
				if !strings.Contains(err.Error(), tc.hint) {
					t.Errorf("%s: %q; want a hint containing %q", op, err, tc.hint)
				}
				if strings.Contains(err.Error(), "secret-token-value") || strings.Contains(err.Error(), "\"k\"") {
					t.Errorf("%s: the error shows the value or key: %v", op, err)
				}
			}
		})
	}
	t.Run("other errors are not ErrUnavailable", func(t *testing.T) {
		e := newFakeEnv(t, nil)
		e.kr.(*fakeBackend).setFail(func(string, string, string) error { return errors.New("exit status 1") })
		if _, err := e.store.Load(bg, "k"); err == nil || errors.Is(err, ErrUnavailable) {
			t.Fatalf("Load = %v; want a plain error", err)
		}
	})
}

// logCounter counts the records logged at each level.
type logCounter struct {
	mu    sync.Mutex
	warns []string
}

func (h *logCounter) Enabled(context.Context, slog.Level) bool { return true }

func (h *logCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
		h.mu.Lock()
		h.warns = append(h.warns, b.String())
		h.mu.Unlock()
	}
	return nil
}

func (h *logCounter) WithAttrs([]slog.Attr) slog.Handler { return h }

func (h *logCounter) WithGroup(string) slog.Handler { return h }

func TestFallback(t *testing.T) {
	locked := errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")
	t.Run("UsedWhenUnavailable", func(t *testing.T) {
		logs := &logCounter{}
		fb := &cache.Memory{}
		e := newFakeEnv(t, &Options{Fallback: fb, Logger: slog.New(logs)})
		f := e.kr.(*fakeBackend)
		f.setFail(func(string, string, string) error { return locked })
		mustSave(t, e.store, "k", []byte("tok-SECRET"), time.Time{})
		if got := mustLoad(t, e.store, "k"); string(got) != "tok-SECRET" {
			t.Fatalf("Load through the fallback = %q", got)
		}
		if got, _ := fb.Load(bg, "k"); string(got) != "tok-SECRET" {
			t.Fatalf("fallback holds %q; want tok-SECRET", got)
		}
		if err := e.store.Delete(bg, "k"); err != nil {
			t.Fatal(err)
		}
		if got, _ := fb.Load(bg, "k"); got != nil {
			t.Fatalf("fallback after Delete holds %q", got)
		}
		// The keychain comes back: the Store stays with the fallback.
		f.setFail(nil)
		calls := f.calls
		mustSave(t, e.store, "k2", []byte("tok2"), time.Time{})
		if f.calls != calls {
			t.Fatal("the Store went back to the keychain; want it to stay with the fallback")
		}
		if len(logs.warns) != 1 {
			t.Fatalf("warnings: %q; want exactly one", logs.warns)
		}
		if w := logs.warns[0]; !strings.Contains(w, "fallback") || !strings.Contains(w, "locked") || strings.Contains(w, "SECRET") {
			t.Fatalf("warning %q: want it to name the fallback and the cause, and no token", w)
		}
	})
	t.Run("NotUsedWhenAvailable", func(t *testing.T) {
		logs := &logCounter{}
		fb := &cache.Memory{}
		e := newFakeEnv(t, &Options{Fallback: fb, Logger: slog.New(logs)})
		mustSave(t, e.store, "k", []byte("tok-SECRET"), time.Time{})
		if got, _ := fb.Load(bg, "k"); got != nil {
			t.Fatalf("the fallback got %q while the keychain works", got)
		}
		if len(logs.warns) != 0 {
			t.Fatalf("warnings: %q", logs.warns)
		}
	})
	t.Run("NotUsedForOtherErrors", func(t *testing.T) {
		fb := &cache.Memory{}
		e := newFakeEnv(t, &Options{Fallback: fb, Logger: slog.New(&logCounter{})})
		e.kr.(*fakeBackend).setFail(func(string, string, string) error { return errors.New("exit status 1") })
		if err := e.store.Save(bg, "k", []byte("tok-SECRET"), time.Time{}); err == nil {
			t.Fatal("Save succeeded")
		}
		if got, _ := fb.Load(bg, "k"); got != nil {
			t.Fatal("the fallback was used for an error that is not ErrUnavailable")
		}
	})
	t.Run("NoFallbackReturnsError", func(t *testing.T) {
		e := newFakeEnv(t, nil)
		e.kr.(*fakeBackend).setFail(func(string, string, string) error { return locked })
		for range 3 {
			if err := e.store.Save(bg, "k", []byte("tok-SECRET"), time.Time{}); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Save = %v; want ErrUnavailable", err)
			}
		}
	})
	t.Run("ConcurrentSwitchWarnsOnce", func(t *testing.T) {
		logs := &logCounter{}
		e := newFakeEnv(t, &Options{Fallback: &cache.Memory{}, Logger: slog.New(logs)})
		e.kr.(*fakeBackend).setFail(func(string, string, string) error { return locked })
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				k := fmt.Sprint("k", i)
				if err := e.store.Save(bg, k, []byte("v"), time.Time{}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if len(logs.warns) != 1 {
			t.Fatalf("%d warnings; want 1", len(logs.warns))
		}
	})
}

func TestStaleCleanupFailureIsWarning(t *testing.T) {
	logs := &logCounter{}
	e := newFakeEnv(t, &Options{ChunkSize: 16, Logger: slog.New(logs)})
	f := e.kr.(*fakeBackend)
	mustSave(t, e.store, "k", randomBytes(t, 150), time.Time{})
	f.setFail(func(op, _, user string) error {
		if op == "delete" {
			return errors.New("exit status 1")
		}
		return nil
	})
	mustSave(t, e.store, "k", []byte("small"), time.Time{})
	if got := mustLoad(t, e.store, "k"); string(got) != "small" {
		t.Fatalf("Load = %q", got)
	}
	if len(logs.warns) != 1 || !strings.Contains(logs.warns[0], "stale") {
		t.Fatalf("warnings %q; want one about stale chunks", logs.warns)
	}
	f.setFail(nil)
	mustSave(t, e.store, "k", []byte("small"), time.Time{})
	if n := len(f.users(e.store.service)); n != 2 {
		t.Fatalf("%d items after the next Save; want the head and one chunk", n)
	}
}

func TestCanceledContextTouchesNothing(t *testing.T) {
	e := newFakeEnv(t, &Options{Fallback: &cache.Memory{}})
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := e.store.Load(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if err := e.store.Save(ctx, "k", []byte("x"), time.Time{}); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if err := e.store.Delete(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if c := e.kr.(*fakeBackend).calls; c != 0 {
		t.Fatalf("%d keychain calls with a canceled context; want 0", c)
	}
}
