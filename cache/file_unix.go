//go:build unix

package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

const isWindows = false

// checkDir refuses a directory that anyone but its owner can use, or that
// another user owns.
func checkDir(dir string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) != os.Geteuid() {
		return &InsecureDirError{Dir: dir, Mode: fi.Mode().Perm(), OtherOwner: true}
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return &InsecureDirError{Dir: dir, Mode: fi.Mode().Perm()}
	}
	return nil
}

// dirHandle is the cache directory opened once: every file operation is
// relative to it (openat, renameat, unlinkat), so a directory renamed or
// replaced by a symbolic link after NewFile does not redirect them, and
// no operation follows a symbolic link in the directory (O_NOFOLLOW).
type dirHandle struct{ d *os.File }

func openDir(path string) (*dirHandle, fs.FileInfo, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	d := os.NewFile(uintptr(fd), path)
	fi, err := d.Stat()
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return &dirHandle{d: d}, fi, nil
}

// open opens name in the directory, never following a symbolic link.
func (h *dirHandle) open(name string, flag int, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := unix.Openat(int(h.d.Fd()), name, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm.Perm()))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ELOOP) {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (a symbolic link in the cache directory)", err)}
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}

func (h *dirHandle) rename(from, to string) error {
	fd := int(h.d.Fd())
	if err := unix.Renameat(fd, from, fd, to); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

func (h *dirHandle) remove(name string) error {
	if err := unix.Unlinkat(int(h.d.Fd()), name, 0); err != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: err}
	}
	return nil
}

// sync makes a rename durable; a failure is ignored.
func (h *dirHandle) sync() { h.d.Sync() }

// tryLock takes an exclusive flock without blocking.
func tryLock(f *os.File) (bool, error) {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

func unlockFile(f *os.File) { unix.Flock(int(f.Fd()), unix.LOCK_UN) }
