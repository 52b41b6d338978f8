package cache

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tokenward/tokenward/internal/clock"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrInsecureDir is matched (errors.Is) by the [*InsecureDirError] that
// NewFile returns for a directory that other users can use or that
// belongs to another user.
var ErrInsecureDir = errors.New("cache: insecure cache directory")

// InsecureDirError is the error NewFile returns for a directory it
// refuses; its message says how to fix it.
type InsecureDirError struct {
	Dir        string      // the resolved directory
	Mode       fs.FileMode // its permission bits
	OtherOwner bool        // it belongs to another user
}

func (e *InsecureDirError) Error() string {
	if e.OtherOwner {
		return fmt.Sprintf("cache: directory %s belongs to another user; use a directory of your own", e.Dir)
	}
	return fmt.Sprintf("cache: directory %s has mode %#o; want 0700 (run: chmod 700 %s)", e.Dir, uint32(e.Mode), e.Dir)
}

// Is makes the error match ErrInsecureDir.
func (e *InsecureDirError) Is(target error) bool { return target == ErrInsecureDir }

// maxFileBytes caps what Load reads from one cache file.
const maxFileBytes = 16 << 20

// File is a cache with one file per key in a directory: files are 0600 in
// a 0700 directory, written atomically (temporary file, fsync, rename),
// and named by a hash of the key, so no key (which may name a user)
// appears in a file name.
//
// NewFile resolves the directory's path once and opens the directory;
// every later operation is relative to that open directory (openat on
// Unix, os.Root on Windows), so renaming the path or replacing it with a
// symbolic link afterwards does not redirect reads or writes, and no file
// in the directory is opened through a symbolic link (O_NOFOLLOW). The
// directory stays open for the life of the File.
//
// Its Lock (tokensource.Locker) is an OS file lock (flock on Unix,
// LockFileEx on Windows), so processes on one machine that share the
// directory refresh once. File is safe for concurrent use.
type File struct {
	dir string
	h   *dirHandle
	clk clock.Clock // nil: clock.Real; tests replace it
}

// NewFile returns a File cache in dir, creating it with mode 0700 if
// needed. An empty dir means DefaultDir(). Symbolic links in dir are
// resolved once, here. It refuses, with an [*InsecureDirError] (matching
// ErrInsecureDir), a directory whose mode is not 0700 (group or others
// have any access; fix with chmod 700) or that belongs to another user.
func NewFile(dir string) (*File, error) {
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("cache: creating the cache directory: %w", err)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if fi, err := os.Lstat(resolved); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("cache: %s is not a directory", resolved)
	}
	h, fi, err := openDir(resolved)
	if err != nil {
		return nil, fmt.Errorf("cache: opening the cache directory: %w", err)
	}
	if err := checkDir(resolved, fi); err != nil {
		return nil, err
	}
	return &File{dir: resolved, h: h}, nil
}

// DefaultDir is the per-user cache directory for tokens:
// os.UserCacheDir()/tokenward/tokens.
func DefaultDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache: no user cache directory: %w", err)
	}
	return filepath.Join(base, "tokenward", "tokens"), nil
}

// Dir returns the directory of the cache, with symbolic links resolved.
func (f *File) Dir() string { return f.dir }

func (f *File) clock() clock.Clock {
	if f.clk != nil {
		return f.clk
	}
	return clock.Real
}

// name is the file name for key in the directory: a hash, so no key
// appears in a file name.
func name(key, ext string) string {
	sum := sha256.Sum256([]byte(key))
	return "tw-" + hex.EncodeToString(sum[:20]) + ext
}

// fileHeader is the first line of a cache file.
type fileHeader struct {
	Version int       `json:"v"`
	Expiry  time.Time `json:"expiry,omitzero"`
}

// Load returns the entry for key, or (nil, nil) when there is none or it
// has expired. A file it cannot read is an error.
func (f *File) Load(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fh, err := f.h.open(name(key, ".json"), os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	defer fh.Close()
	raw, err := io.ReadAll(io.LimitReader(fh, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cache: reading entry: %w", err)
	}
	if len(raw) > maxFileBytes {
		return nil, errors.New("cache: entry file is too large")
	}
	line, data, ok := bytes.Cut(raw, []byte("\n"))
	var h fileHeader
	if !ok || json.Unmarshal(line, &h) != nil || h.Version != 1 {
		return nil, errors.New("cache: entry file is corrupt")
	}
	if !h.Expiry.IsZero() && !f.clock().Now().Before(h.Expiry) {
		return nil, nil
	}
	return data, nil
}

// Save writes data for key atomically, to be dropped after expiry (zero:
// kept).
func (f *File) Save(ctx context.Context, key string, data []byte, expiry time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	head, _ := json.Marshal(fileHeader{Version: 1, Expiry: expiry})
	var rnd [8]byte
	rand.Read(rnd[:])
	tmpName := ".tmp-" + hex.EncodeToString(rnd[:])
	tmp, err := f.h.open(tmpName, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			f.h.remove(tmpName)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && !isWindows {
		return fmt.Errorf("cache: %w", err)
	}
	buf := make([]byte, 0, len(head)+1+len(data))
	buf = append(append(append(buf, head...), '\n'), data...)
	if _, err := tmp.Write(buf); err != nil {
		return fmt.Errorf("cache: writing entry: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("cache: syncing entry: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := f.h.rename(tmpName, name(key, ".json")); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	ok = true
	f.h.sync()
	return nil
}

// Delete removes the entry for key.
func (f *File) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := f.h.remove(name(key, ".json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Lock takes an exclusive OS file lock for key, polling until it is free
// or ctx is done. The lock needs no TTL to survive a crash: the OS
// releases it when the holding process dies. A live holder releases it
// with unlock or, at the latest, when its lease ends after ttl (a ttl of
// zero or less means tokensource.DefaultLockTTL, the rule of every
// Locker in this module), so a hung holder cannot wedge the others.
func (f *File) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lf, err := f.h.open(name(key, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	wait := 5 * time.Millisecond
	for {
		locked, err := tryLock(lf)
		if err != nil {
			lf.Close()
			return nil, fmt.Errorf("cache: locking: %w", err)
		}
		if locked {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			lf.Close()
			return nil, ctx.Err()
		}
		wait = min(wait*2, 100*time.Millisecond)
	}
	return lease(f.clock(), func() {
		unlockFile(lf)
		lf.Close()
	}, ttl), nil
}
