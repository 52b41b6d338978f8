package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/cache/keychain"
	"github.com/tokenward/tokenward/tokensource"
)

// Environment variables that choose the store, for a whole shell session.
const (
	EnvStore   = "TOKENWARD_STORE"    // keychain (default) or file
	EnvKeyFile = "TOKENWARD_KEY_FILE" // file store: the file that holds the sealing key
	EnvKeyEnv  = "TOKENWARD_KEY_ENV"  // file store: the variable that holds the sealing key
)

// Store kinds.
const (
	StoreKeychain = "keychain"
	StoreFile     = "file"
)

// storeFlags are the global flags that choose the store.
type storeFlags struct {
	kind    string // --store
	keyFile string // --key-file
	keyEnv  string // --key-env
}

// errNoStoreKey is returned when the file store has no key to seal with.
var errNoStoreKey = errors.New("the file store needs a sealing key: --key-file PATH or --key-env NAME ($" + EnvKeyFile + " or $" + EnvKeyEnv + ")")

// lockedStore is the CLI's store: a Cache (the OS keychain, or sealed
// files) and a Locker whose locks are OS file locks in the user's cache
// directory, so that parallel tokenward processes refresh a rotating
// refresh token once instead of revoking it by reuse.
type lockedStore struct {
	tokensource.Cache
	locks   *cache.File // nil when lockErr is set
	lockErr error
}

// Lock takes the cross-process lock of key.
func (s *lockedStore) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if s.lockErr != nil {
		return nil, s.lockErr
	}
	return s.locks.Lock(ctx, key, ttl)
}

// brokenStore is a store that could not be opened: every call fails with
// why, so that commands which need no store still run.
type brokenStore struct{ err error }

func (b brokenStore) Load(context.Context, string) ([]byte, error) { return nil, b.err }
func (b brokenStore) Save(context.Context, string, []byte, time.Time) error {
	return b.err
}
func (b brokenStore) Delete(context.Context, string) error { return b.err }

// lockDir is where the cross-process locks live:
// os.UserCacheDir()/tokenward/locks ($XDG_CACHE_HOME/tokenward/locks).
func lockDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "tokenward", "locks"), nil
}

// fileStoreDir is where the file store keeps its sealed entries: store/
// beside the config file.
func fileStoreDir() (string, error) {
	path, err := ConfigPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(path), "store"), nil
}

// newStore opens the store the flags or environment name. The file store
// is opt-in: it is never chosen because the keychain is missing.
func (a *App) newStore() tokensource.Cache {
	inner, err := a.openInner()
	if err != nil {
		inner = brokenStore{err: err}
	}
	s := &lockedStore{Cache: inner}
	dir, err := lockDir()
	if err == nil {
		s.locks, err = cache.NewFile(dir)
	}
	if err != nil {
		s.lockErr = fmt.Errorf("cannot create the lock directory: %w", err)
	}
	return s
}

// storeKind returns the chosen store kind.
func (a *App) storeKind() string {
	if a.storeFlags.kind != "" {
		return a.storeFlags.kind
	}
	if k := os.Getenv(EnvStore); k != "" {
		return k
	}
	return StoreKeychain
}

// openInner opens the keychain or the sealed file store.
func (a *App) openInner() (tokensource.Cache, error) {
	switch kind := a.storeKind(); kind {
	case StoreKeychain:
		return keychain.NewWithOptions(KeychainService, &keychain.Options{Logger: a.logger()}), nil
	case StoreFile:
		key, err := a.storeKey()
		if err != nil {
			return nil, err
		}
		dir, err := fileStoreDir()
		if err != nil {
			return nil, err
		}
		f, err := cache.NewFile(dir)
		if err != nil {
			return nil, err
		}
		return cache.NewSealed(f, key)
	default:
		return nil, &Error{Code: ExitUsage, What: fmt.Sprintf("store %q is not %s or %s", kind, StoreKeychain, StoreFile),
			Hint: "set --store or $" + EnvStore}
	}
}

// storeKey reads the file store's sealing key: 32 bytes, base64-encoded,
// from the file or the environment variable the user named.
func (a *App) storeKey() ([]byte, error) {
	file, env := a.storeFlags.keyFile, a.storeFlags.keyEnv
	if file == "" && env == "" {
		file, env = os.Getenv(EnvKeyFile), os.Getenv(EnvKeyEnv)
	}
	var text, from string
	switch {
	case file != "":
		fi, err := os.Stat(file)
		if err != nil {
			return nil, fmt.Errorf("sealing key: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("sealing key file %s is readable by others (mode %#o): chmod 600 it", file, fi.Mode().Perm())
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("sealing key: %w", err)
		}
		text, from = string(b), "file "+file
	case env != "":
		text, from = os.Getenv(env), "$"+env
	default:
		return nil, errNoStoreKey
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("sealing key in %s is not 32 bytes in base64: make one with 'head -c 32 /dev/urandom | base64'", from)
	}
	return key, nil
}
