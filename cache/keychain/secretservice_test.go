package keychain

// Tests against the real OS keychain (the Secret Service on Linux): a
// private, unlocked gnome-keyring that testenv.Keyring starts for the test
// binary.
//
// The Example calls keyring.MockInit, which replaces go-keyring's
// provider for the rest of the process; the testing package runs every
// Test before any Example, so these tests always reach the real keychain.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache/cachetest"
	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/tokensource"
	"github.com/zalando/go-keyring"
)

// needSecretService starts the private Secret Service of testenv.Keyring;
// the test is skipped (failed under CI) without dbus and gnome-keyring.
func needSecretService(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the real-keychain tests drive the Secret Service (Linux); " + runtime.GOOS + " uses another backend")
	}
	testenv.Keyring(t)
}

// realEnv returns an env on the real keychain under a service name unique
// to this test, removed at the end.
func realEnv(t *testing.T, opts *Options) env {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	service := "tokenward-test-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if err := keyring.DeleteAll(service); err != nil {
			t.Errorf("cleaning up service %s: %v", service, err)
		}
	})
	s := NewWithOptions(service, opts)
	e := env{store: s, kr: s.kr}
	if path, err := exec.LookPath("secret-tool"); err == nil {
		e.accounts = func() []string { return secretToolAccounts(t, path, service) }
	}
	return e
}

// secretToolAccounts lists the accounts of service's items, with
// libsecret's secret-tool, independently of go-keyring.
func secretToolAccounts(t *testing.T, path, service string) []string {
	t.Helper()
	out, err := exec.Command(path, "search", "--all", "service", service).CombinedOutput()
	if err != nil {
		t.Fatalf("secret-tool search: %v\n%s", err, out)
	}
	var accts []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "attribute.username = "); ok {
			accts = append(accts, a)
		}
	}
	return accts
}

// checkReachable fails the test at once, with the Store's own advice,
// when the bus is there but the keychain is not usable.
func checkReachable(t *testing.T) {
	t.Helper()
	e := realEnv(t, nil)
	if _, err := e.store.Load(context.Background(), "probe"); err != nil {
		t.Fatalf("DBUS_SESSION_BUS_ADDRESS is set but the keychain is not usable: %v", err)
	}
}

func TestSecretServiceConformance(t *testing.T) {
	needSecretService(t)
	checkReachable(t)
	for _, tc := range []struct {
		name string
		opts *Options
	}{
		{"DefaultChunkSize", nil},
		{"ChunkSize=100", &Options{ChunkSize: 100}}, // every entry but the smallest is chunked
	} {
		t.Run(tc.name, func(t *testing.T) {
			cachetest.Run(t, func(t *testing.T) tokensource.Cache { return realEnv(t, tc.opts).store })
		})
	}
}

func TestSecretServiceChunking(t *testing.T) {
	needSecretService(t)
	checkReachable(t)
	runChunkTests(t, realEnv)
}

// The tests below start programs of their own (a dead bus address, a bus
// without a Secret Service, a gnome-keyring whose collection is locked)
// and check that the Store reports each as ErrUnavailable with the right
// advice. Each runs this test binary again as a child, with
// TestUnavailableChild selected and the environment under test.

const childEnv = "TOKENWARD_KEYCHAIN_CHILD"

// TestUnavailableChild is the child's side; it does nothing in a normal
// run.
func TestUnavailableChild(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("runs only as a child of the TestRealUnavailable tests")
	}
	s := New("tokenward-test-unavailable")
	ctx := context.Background()
	_, lerr := s.Load(ctx, "k")
	serr := s.Save(ctx, "k", []byte("secret-token-value"), time.Time{})
	derr := s.Delete(ctx, "k")
	for op, err := range map[string]error{"Load": lerr, "Save": serr, "Delete": derr} {
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: %v; want ErrUnavailable", op, err)
		}
	}
	t.Logf("CHILD-ERROR: %v", lerr)
}

// runChild runs the child test under argv0 (the test binary, or a wrapper
// such as dbus-run-session followed by it) with env, and returns the
// Store's error message.
func runChild(t *testing.T, env []string, argv ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv = append(argv, "-test.run=^TestUnavailableChild$", "-test.v", "-test.count=1")
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(env, childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, msg, ok := strings.Cut(string(out), "CHILD-ERROR: ")
	if !ok {
		t.Fatalf("child did not report its error:\n%s", out)
	}
	msg, _, _ = strings.Cut(msg, "\n")
	t.Logf("Store error: %s", msg)
	if strings.Contains(msg, "secret-token-value") {
		t.Fatalf("the error shows the value: %s", msg)
	}
	return msg
}

// childBaseEnv is the environment without any session bus or display,
// with private runtime and data directories.
func childBaseEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "XDG_DATA_HOME",
			"GNOME_KEYRING_CONTROL", "SSH_AUTH_SOCK", childEnv:
			continue
		}
		env = append(env, kv)
	}
	run := t.TempDir()
	os.Chmod(run, 0o700)
	return append(env, "XDG_RUNTIME_DIR="+run, "XDG_DATA_HOME="+t.TempDir())
}

func needLinux(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("Secret Service failure modes are Linux-only")
	}
}

// needTool skips (or, when CI=true, fails) when a program is missing.
func needTool(t *testing.T, name string) string {
	t.Helper()
	testenv.Require(t, name)
	p, _ := exec.LookPath(name)
	return p
}

func TestRealUnavailableDeadBus(t *testing.T) {
	needLinux(t)
	env := append(childBaseEnv(t), "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	msg := runChild(t, env, os.Args[0])
	if !strings.Contains(msg, "cannot connect to the D-Bus session bus") {
		t.Fatalf("error %q; want the session-bus advice", msg)
	}
}

func TestRealUnavailableNoSecretService(t *testing.T) {
	needLinux(t)
	drs := needTool(t, "dbus-run-session")
	// A session bus that cannot activate any service.
	conf := filepath.Join(t.TempDir(), "bare-session.conf")
	err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=`+t.TempDir()+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	msg := runChild(t, childBaseEnv(t), drs, "--config-file="+conf, "--", os.Args[0])
	if !strings.Contains(msg, "no Secret Service on the session D-Bus") {
		t.Fatalf("error %q; want the no-Secret-Service advice", msg)
	}
}

func TestRealUnavailableLockedCollection(t *testing.T) {
	needLinux(t)
	drs := needTool(t, "dbus-run-session")
	needTool(t, "gnome-keyring-daemon")
	// A session bus on which gnome-keyring is D-Bus-activated without
	// --unlock: there is no unlocked collection, and the unlock prompt
	// cannot be shown.
	msg := runChild(t, childBaseEnv(t), drs, "--", os.Args[0])
	if !strings.Contains(msg, "collection is locked") {
		t.Fatalf("error %q; want the locked-collection advice", msg)
	}
}
