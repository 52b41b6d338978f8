package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// ErrInsecureDir is matched by the error NewFile returns for a directory
// that other users could write to, or that belongs to another user.
var ErrInsecureDir = errors.New("cache: directory is writable by other users")

// maxFileBytes caps what Load reads from one cache file.
const maxFileBytes = 16 << 20

// File is a cache with one file per key in a directory: files are 0600 in
// a 0700 directory, written atomically (temporary file, fsync, rename),
// and named by a hash of the key, so no key (which may name a user)
// appears in a file name. Its Lock (tokensource.Locker) is an OS file
// lock, so processes on one machine that share the directory refresh
// once. File is safe for concurrent use.
type File struct {
	dir string
	now func() time.Time // tests replace it
}

// NewFile returns a File cache in dir, creating it with mode 0700 if
// needed. An empty dir means DefaultDir(). It refuses (with an error
// matching ErrInsecureDir) a directory that other users can write to or
// that belongs to another user.
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
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("cache: %s is not a directory", abs)
	}
	if err := checkDirOwner(abs, fi); err != nil {
		return nil, err
	}
	return &File{dir: abs}, nil
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

// Dir returns the directory of the cache.
func (f *File) Dir() string { return f.dir }

func (f *File) clock() time.Time {
	if f.now != nil {
		return f.now()
	}
	return time.Now()
}

// path is the file for key: a hash, so no key appears in a file name.
func (f *File) path(key, ext string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(f.dir, "tw-"+hex.EncodeToString(sum[:20])+ext)
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
	fh, err := os.Open(f.path(key, ".json"))
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
	if !h.Expiry.IsZero() && !f.clock().Before(h.Expiry) {
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
	tmp, err := os.CreateTemp(f.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
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
	if err := os.Rename(name, f.path(key, ".json")); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	ok = true
	syncDir(f.dir)
	return nil
}

// Delete removes the entry for key.
func (f *File) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(f.path(key, ".json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Lock takes an exclusive OS file lock for key, polling until it is free
// or ctx is done. The OS releases it if the process dies; a live holder
// releases it with unlock or, at the latest, after ttl.
func (f *File) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error) {
	lf, err := os.OpenFile(f.path(key, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
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
	return lease(func() {
		unlockFile(lf)
		lf.Close()
	}, ttl), nil
}

// syncDir makes a rename durable; failures (and platforms that cannot
// sync directories) are ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
