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

func TestFileRefusesGroupReadableDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes")
	}
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o755, 0o750, 0o701} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		_, err := cache.NewFile(dir)
		var ide *cache.InsecureDirError
		if !errors.Is(err, cache.ErrInsecureDir) || !errors.As(err, &ide) {
			t.Fatalf("NewFile on a %#o dir: got %v; want an *InsecureDirError", mode, err)
		}
		if got, want := err.Error(), "chmod 700 "+dir; !strings.Contains(got, want) {
			t.Errorf("error = %q; want it to contain the fix %q", got, want)
		}
	}
	os.Chmod(dir, 0o700)
	if _, err := cache.NewFile(dir); err != nil {
		t.Fatalf("NewFile on a 0700 dir: %v", err)
	}
}

func TestFileResolvesSymlinkOnce(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	base := t.TempDir()
	real := filepath.Join(base, "real")
	link := filepath.Join(base, "link")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	f, err := cache.NewFile(link)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(real)
	if got := f.Dir(); got != want {
		t.Errorf("Dir() = %q; want the resolved %q", got, want)
	}
}

// TestFileSwappedDirDoesNotRedirect swaps the cache directory for a
// symbolic link to another directory after NewFile: the writes must not
// follow it.
func TestFileSwappedDirDoesNotRedirect(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	ctx := context.Background()
	base := t.TempDir()
	dir := filepath.Join(base, "tokens")
	f, err := cache.NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	attacker := filepath.Join(base, "attacker")
	if err := os.Mkdir(attacker, 0o777); err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(base, "moved")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(attacker, dir); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(ctx, "k", []byte("refresh-token"), time.Time{}); err != nil {
		t.Fatalf("Save after the swap: %v", err)
	}
	unlock, err := f.Lock(ctx, "k", time.Second)
	if err != nil {
		t.Fatalf("Lock after the swap: %v", err)
	}
	unlock()
	if entries, _ := os.ReadDir(attacker); len(entries) != 0 {
		t.Errorf("the swapped-in directory got %d files; want none", len(entries))
	}
	if got, err := f.Load(ctx, "k"); err != nil || string(got) != "refresh-token" {
		t.Errorf("Load after the swap = %q, %v; want the entry from the original directory", got, err)
	}
	if entries, _ := os.ReadDir(moved); len(entries) != 2 { // the entry and its lock file
		t.Errorf("the original directory holds %d files; want 2", len(entries))
	}
}

// TestFileDoesNotFollowLinks plants symbolic links where the entry and
// lock files go: Load, Save and Lock must not follow them out of the
// directory.
func TestFileDoesNotFollowLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	ctx := context.Background()
	f := newFile(t)
	outside := filepath.Join(t.TempDir(), "outside")
	os.WriteFile(outside, []byte("{\"v\":1}\nplanted"), 0o600)
	// Learn the file names for key "k".
	f.Save(ctx, "k", []byte("x"), time.Time{})
	u, _ := f.Lock(ctx, "k", time.Second)
	u()
	entries, _ := os.ReadDir(f.Dir())
	for _, e := range entries {
		p := filepath.Join(f.Dir(), e.Name())
		os.Remove(p)
		if err := os.Symlink(outside, p); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := f.Load(ctx, "k"); err == nil {
		t.Errorf("Load through a planted link = %q; want an error", got)
	}
	if _, err := f.Lock(ctx, "k", time.Second); err == nil {
		t.Error("Lock through a planted link succeeded; want an error")
	}
	if b, _ := os.ReadFile(outside); string(b) != "{\"v\":1}\nplanted" {
		t.Errorf("the link's target changed to %q", b)
	}
}
