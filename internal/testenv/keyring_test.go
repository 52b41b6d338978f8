package testenv_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/internal/testenv"
)

// TestKeyring stores and finds a secret with libsecret's secret-tool on the private keyring,
// whose address the process environment now names.
func TestKeyring(t *testing.T) {
	addr := testenv.Keyring(t)
	if got := os.Getenv(testenv.EnvDBus); got != addr || !strings.HasPrefix(addr, "unix:path=") {
		t.Fatalf("%s: got %q; want the private bus %q", testenv.EnvDBus, got, addr)
	}
	testenv.Require(t, "secret-tool")
	store := exec.Command("secret-tool", "store", "--label=tokenward-test", "service", "tokenward-testenv", "username", "u")
	store.Stdin = strings.NewReader("s3cret")
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v\n%s", err, out)
	}
	out, err := exec.Command("secret-tool", "lookup", "service", "tokenward-testenv", "username", "u").Output()
	if got, want := string(out), "s3cret"; err != nil || got != want {
		t.Errorf("secret-tool lookup: got %q, %v; want %q", got, err, want)
	}
	if again := testenv.Keyring(t); again != addr {
		t.Errorf("second call: got %q; want the shared %q", again, addr)
	}
}
