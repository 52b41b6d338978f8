package keychain

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"

	"github.com/zalando/go-keyring"
)

// ErrUnavailable is matched (errors.Is) by the errors a Store returns when
// no keychain can be reached: no D-Bus session bus or no Secret Service on
// it, a locked collection that cannot be unlocked without a prompt, no
// logon session for Windows Credential Manager, or an operating system
// go-keyring does not support. The error's text says which, and how to
// fix it.
var ErrUnavailable = errors.New("keychain: unavailable")

// ErrCorrupt is matched by the error Load returns for an entry it cannot
// decode: a chunk is missing or does not match the checksum in the head
// item (a Save that crashed half-way, or one racing in another process),
// or the item was not written by this package. Load never returns such
// an entry's bytes; the next Save overwrites it.
var ErrCorrupt = errors.New("keychain: entry is corrupt")

// backend is the part of go-keyring a Store uses; tests substitute an
// in-memory one so that they never touch keyring's global provider.
type backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// osKeyring is the OS keychain through go-keyring.
type osKeyring struct{}

func (osKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeyring) Set(service, user, pw string) error       { return keyring.Set(service, user, pw) }
func (osKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// unavailableHint returns why the keychain cannot be used and how to fix
// it, or "" when err is not such a condition. go-keyring returns plain
// errors (mostly from D-Bus), so this goes by their text.
func unavailableHint(err error) string {
	if errors.Is(err, keyring.ErrUnsupportedPlatform) {
		return "go-keyring has no keychain backend for " + runtime.GOOS + " (configure Options.Fallback, or use another cache)"
	}
	msg := err.Error()
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}
	var execErr *exec.Error
	switch {
	case has("failed to unlock correct collection"):
		return "the Secret Service collection is locked and could not be unlocked without a prompt " +
			"(unlock the login keyring, e.g. with gnome-keyring-daemon --unlock; see the package documentation for headless Linux)"
	case has("dbus-launch", "DBUS_SESSION_BUS_ADDRESS", "couldn't determine address of session bus",
		"dbus: authentication failed", "connection refused", "no such file or directory") ||
		(errors.As(err, &execErr) && strings.Contains(execErr.Name, "dbus")):
		return "cannot connect to the D-Bus session bus (is DBUS_SESSION_BUS_ADDRESS set? " +
			"on a headless machine run the program under dbus-run-session with gnome-keyring; see the package documentation)"
	case has("org.freedesktop.DBus.Error.ServiceUnknown", "was not provided by any .service files",
		"org.freedesktop.DBus.Error.NameHasNoOwner"):
		return "no Secret Service on the session D-Bus (is gnome-keyring or KWallet running and unlocked?)"
	case has("org.freedesktop.DBus.Error.", "org.freedesktop.Secret.Error."):
		return "the Secret Service on the session D-Bus failed (is gnome-keyring or KWallet running and unlocked?)"
	case has("logon session does not exist"):
		return "Windows Credential Manager needs a user logon session " +
			"(services running as LocalSystem or without a loaded user profile have none)"
	case errors.As(err, &execErr):
		return "cannot run the keychain tool " + execErr.Name
	}
	return ""
}

// wrap turns a backend error into the error a Store returns. It never
// includes a stored value: go-keyring's errors do not, and the account
// names are hashes.
func (s *Store) wrap(op string, err error) error {
	if hint := unavailableHint(err); hint != "" {
		return fmt.Errorf("%w: %s: %s (service %q): %w", ErrUnavailable, hint, op, s.service, err)
	}
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return fmt.Errorf("keychain: %s (service %q): the keychain refused an item as too big; lower Options.ChunkSize (now %d): %w",
			op, s.service, s.chunkSize, err)
	}
	return fmt.Errorf("keychain: %s (service %q): %w", op, s.service, err)
}
