//go:build windows

package cache

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

const isWindows = true

// checkDirOwner relies on the per-user profile ACLs on Windows.
func checkDirOwner(string, fs.FileInfo) error { return nil }

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
