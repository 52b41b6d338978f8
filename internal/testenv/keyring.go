package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvDBus is the variable [Keyring] sets to its private session bus.
const EnvDBus = "DBUS_SESSION_BUS_ADDRESS"

// keyringPassword unlocks the login keyring that [Keyring] creates.
const keyringPassword = "ci-keyring-pass"

// The keyring shared by this test binary: a process has one session-bus address, so it is
// started once by the first call to [Keyring] and stopped by [Run]. Package-level because it is
// shared by every test of the binary; it is guarded by its once.
var keyring struct {
	once sync.Once
	addr string
	err  error
}

// Keyring starts, once per test binary, a private D-Bus session bus (dbus-daemon) with an
// unlocked gnome-keyring-daemon (the Secret Service) keeping a throw-away login keyring in a
// temporary directory, and points DBUS_SESSION_BUS_ADDRESS of this process at it (children
// started later inherit it); it returns the address. The package's TestMain must call [Main]
// (or [Run]), which stops both daemons. Call Keyring before anything in the process connects
// to the session bus (go-keyring reads the address at its first connection). When the binaries
// are missing the test is skipped, or fails under CI.
func Keyring(tb testing.TB) string {
	tb.Helper()
	keyring.once.Do(func() {
		if !atEnd(func() {}) {
			keyring.err = errors.New("testenv.Keyring: the package's TestMain must call testenv.Main, which stops the keyring")
			return
		}
		var stop func()
		keyring.addr, stop, keyring.err = startKeyring()
		if keyring.err == nil {
			atEnd(stop)
			os.Setenv(EnvDBus, keyring.addr)
		}
	})
	if keyring.err != nil {
		if errors.Is(keyring.err, exec.ErrNotFound) {
			unavailable(tb, keyring.err.Error())
		} else {
			tb.Fatal(keyring.err)
		}
		return ""
	}
	return keyring.addr
}

// keyringStart bounds how long the daemons may take to come up.
const keyringStart = 15 * time.Second

// startKeyring starts dbus-daemon and gnome-keyring-daemon; stop ends both and removes their
// directory. dbus-daemon runs under a shell that kills it when its stdin closes, so it dies with
// a killed test binary; gnome-keyring-daemon exits when its bus goes away.
func startKeyring() (addr string, stop func(), err error) {
	for _, b := range []string{"dbus-daemon", "dbus-send", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(b); err != nil {
			return "", nil, fmt.Errorf("%w (Debian packages dbus, gnome-keyring)", err)
		}
	}
	dir, err := os.MkdirTemp("", "tokenward-keyring-")
	if err != nil {
		return "", nil, err
	}
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		os.RemoveAll(dir)
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	for _, d := range []string{"data", "run"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			return "", nil, err
		}
	}
	addr = "unix:path=" + filepath.Join(dir, "bus")
	bus := exec.Command("sh", "-c", `dbus-daemon --session --nofork --nopidfile --address="$1" --print-address=1 & d=$!; cat >/dev/null; kill $d; wait $d`, "sh", addr)
	stdin, err := bus.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	out, err := bus.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := bus.Start(); err != nil {
		return "", nil, fmt.Errorf("testenv: starting dbus-daemon: %v", err)
	}
	stops = append(stops, func() { stdin.Close(); bus.Wait() })
	line, err := readLine(out, keyringStart)
	if err != nil {
		return "", nil, fmt.Errorf("testenv: dbus-daemon printed no address: %v", err)
	}
	if !strings.HasPrefix(line, addr) {
		return "", nil, fmt.Errorf("testenv: dbus-daemon listens on %q, want %q", line, addr)
	}

	gk := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	gk.Env = append(os.Environ(), EnvDBus+"="+addr,
		"XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_RUNTIME_DIR="+filepath.Join(dir, "run"))
	gk.Stdin = strings.NewReader(keyringPassword)
	if err := gk.Start(); err != nil {
		return "", nil, fmt.Errorf("testenv: starting gnome-keyring-daemon: %v", err)
	}
	stops = append(stops, func() { gk.Process.Kill(); gk.Wait() })
	deadline := time.Now().Add(keyringStart)
	for {
		out, _ := exec.Command("dbus-send", "--bus="+addr, "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets").Output()
		if strings.Contains(string(out), "boolean true") {
			return addr, stop, nil
		}
		if time.Now().After(deadline) {
			return "", nil, fmt.Errorf("testenv: gnome-keyring-daemon owns no org.freedesktop.secrets after %v", keyringStart)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readLine reads one line from r within timeout (dbus-daemon prints nothing after it).
func readLine(r io.Reader, timeout time.Duration) (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() { // ends when r yields a line or fails
		line, err := bufio.NewReader(r).ReadString('\n')
		ch <- result{strings.TrimSpace(line), err}
	}()
	select {
	case res := <-ch:
		if res.line != "" {
			return res.line, nil
		}
		return "", res.err
	case <-time.After(timeout):
		return "", fmt.Errorf("nothing within %v", timeout)
	}
}
