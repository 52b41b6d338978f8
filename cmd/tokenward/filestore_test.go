package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/oauth2test"
)

// newCLIWithoutKeychain is a runner on a machine without a keychain: no
// D-Bus session bus.
func newCLIWithoutKeychain(t *testing.T) (*runner, string) {
	t.Helper()
	bin := buildBinary(t)
	dir := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "TOKENWARD_") {
			env = append(env, kv)
		}
	}
	env = append(env, "TOKENWARD_CONFIG="+filepath.Join(dir, "config.json"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-bus"), "BROWSER=false")
	return &runner{t: t, bin: bin, env: env}, filepath.Join(dir, "store")
}

func TestFileStoreWithoutKeychain(t *testing.T) {
	t.Parallel()
	c, store := newCLIWithoutKeychain(t)
	srv := oauth2test.NewServer(t, nil)
	add := []string{"profile", "add", "box", "--grant", "client_credentials", "--token-url", srv.TokenURL(),
		"--client-id", oauth2test.DefaultClientID, "--auth-style", "basic", "--client-secret-stdin"}

	// Without a keychain and without opting in, tokenward fails and says
	// how to opt in for the whole shell session: never a silent fallback.
	_, errs := c.runAnyIn(oauth2test.DefaultClientSecret+"\n", add...)
	if !strings.Contains(errs, "keychain unavailable") || !strings.Contains(errs, "export TOKENWARD_STORE=file TOKENWARD_KEY_FILE=") {
		t.Fatalf("no keychain, no opt-in: %q", errs)
	}
	if entries, _ := os.ReadDir(store); len(entries) != 0 {
		t.Fatalf("a file store was used without opting in: %v", entries)
	}

	key := filepath.Join(t.TempDir(), "key")
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	os.WriteFile(key, []byte(base64.StdEncoding.EncodeToString(raw)+"\n"), 0o644)
	c.env = append(c.env, "TOKENWARD_STORE=file", "TOKENWARD_KEY_FILE="+key)
	if _, errs := c.runAnyIn(oauth2test.DefaultClientSecret+"\n", add...); !strings.Contains(errs, "chmod 600") {
		t.Fatalf("a key file others can read: %q", errs)
	}
	os.Chmod(key, 0o600)
	c.run(oauth2test.DefaultClientSecret+"\n", add...)
	tok := strings.TrimSpace(c.run("", "token", "-p", "box"))
	if tok2 := strings.TrimSpace(c.run("", "token", "-p", "box")); tok == "" || tok2 != tok || srv.TokenRequests() != 1 {
		t.Fatalf("tokens %q, %q after %d token requests; want one cached token", tok, tok2, srv.TokenRequests())
	}
	// The files are sealed: neither the secret nor the token is readable.
	entries, err := os.ReadDir(store)
	if err != nil || len(entries) == 0 {
		t.Fatalf("store %s: %v %v", store, entries, err)
	}
	for _, en := range entries {
		b, _ := os.ReadFile(filepath.Join(store, en.Name()))
		if strings.Contains(string(b), tok) || strings.Contains(string(b), oauth2test.DefaultClientSecret) {
			t.Fatalf("%s holds a secret in the clear", en.Name())
		}
	}
	// The wrong key opens nothing.
	os.WriteFile(key, []byte(base64.StdEncoding.EncodeToString(make([]byte, 32))), 0o600)
	if _, errs := c.runAny("token", "-p", "box"); errs == "" {
		t.Fatal("the wrong key opened the store")
	}
}
