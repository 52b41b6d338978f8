package cache_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/cache/cachetest"
	"github.com/tokenward/tokenward/tokensource"
)

var (
	_ tokensource.Cache  = (*cache.File)(nil)
	_ tokensource.Locker = (*cache.File)(nil)
)

func newFile(t *testing.T) *cache.File {
	t.Helper()
	f, err := cache.NewFile(filepath.Join(t.TempDir(), "tokens"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFileConformance(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) tokensource.Cache { return newFile(t) })
}

func TestFilePermissionsAndNames(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes")
	}
	f := newFile(t)
	key := "alice@example.com scope=read"
	if err := f.Save(context.Background(), key, []byte("secret-token-bytes"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(f.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("dir mode = %v; want 0700", got)
	}
	entries, _ := os.ReadDir(f.Dir())
	if len(entries) != 1 {
		t.Fatalf("dir holds %d entries; want 1 (no temporary files left)", len(entries))
	}
	for _, e := range entries {
		info, _ := e.Info()
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("%s mode = %v; want 0600", e.Name(), got)
		}
		if strings.Contains(e.Name(), "alice") || strings.Contains(e.Name(), "read") {
			t.Errorf("file name %q reveals the key", e.Name())
		}
	}
}

func TestFileRefusesInsecureDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes")
	}
	dir := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.NewFile(dir); !errors.Is(err, cache.ErrInsecureDir) {
		t.Fatalf("NewFile on a 0777 dir: got %v; want ErrInsecureDir", err)
	}
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o600)
	if _, err := cache.NewFile(notDir); err == nil {
		t.Fatal("NewFile on a regular file succeeded; want an error")
	}
}

func TestFileCorruptEntryIsAnError(t *testing.T) {
	f := newFile(t)
	ctx := context.Background()
	f.Save(ctx, "k", []byte("x"), time.Time{})
	entries, _ := os.ReadDir(f.Dir())
	for _, e := range entries {
		os.WriteFile(filepath.Join(f.Dir(), e.Name()), []byte("garbage without header"), 0o600)
	}
	if _, err := f.Load(ctx, "k"); err == nil {
		t.Fatal("Load of a corrupt file succeeded; want an error (a miss for tokensource)")
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	d, err := cache.DefaultDir()
	if err != nil {
		t.Skip(err)
	}
	if !strings.HasSuffix(d, filepath.Join("tokenward", "tokens")) {
		t.Errorf("DefaultDir = %q; want …/tokenward/tokens", d)
	}
}
