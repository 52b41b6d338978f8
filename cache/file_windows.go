//go:build windows

package cache

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

const isWindows = true

// checkDir relies on the per-user profile ACLs on Windows.
func checkDir(string, fs.FileInfo) error { return nil }

// dirHandle is the cache directory opened once, as an os.Root: operations
// stay inside it even if the path is replaced later.
type dirHandle struct{ r *os.Root }

func openDir(path string) (*dirHandle, fs.FileInfo, error) {
	r, err := os.OpenRoot(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := r.Stat(".")
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	return &dirHandle{r: r}, fi, nil
}

func (h *dirHandle) open(name string, flag int, perm os.FileMode) (*os.File, error) {
	return h.r.OpenFile(name, flag, perm)
}

func (h *dirHandle) rename(from, to string) error { return h.r.Rename(from, to) }
func (h *dirHandle) remove(name string) error     { return h.r.Remove(name) }
func (h *dirHandle) sync()                        {}

// tryLock takes an exclusive LockFileEx lock without blocking.
func tryLock(f *os.File) (bool, error) {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return false, nil
	}
	return err == nil, err
}

func unlockFile(f *os.File) {
	windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}
