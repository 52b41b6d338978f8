package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/oauth2test"
)

// tmux is a private tmux server (its own socket) running one session.
type tmux struct {
	t      *testing.T
	socket string
}

// newTmux starts `cmd` in a detached 120x50 tmux session. A missing tmux
// fails the test under CI and skips it otherwise.
func newTmux(t *testing.T, env []string, cmd string) *tmux {
	t.Helper()
	testenv.Require(t, "tmux")
	tm := &tmux{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock")}
	c := exec.Command("tmux", "-S", tm.socket, "-f", "/dev/null", "new-session", "-d", "-s", "tw", "-x", "120", "-y", "50", cmd)
	c.Env = env
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", tm.socket, "kill-server").Run() })
	return tm
}

// screen returns the visible pane.
func (tm *tmux) screen() string {
	out, err := exec.Command("tmux", "-S", tm.socket, "capture-pane", "-p", "-t", "tw").Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// waitFor polls the screen until re matches, and returns the match.
func (tm *tmux) waitFor(re *regexp.Regexp, d time.Duration) []string {
	tm.t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := tm.screen()
		if m := re.FindStringSubmatch(s); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("screen never matched %s:\n%s", re, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDeviceLoginInTerminal(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := oauth2test.NewServer(t, &oauth2test.Options{DeviceInterval: 1})
	c.run(oauth2test.DefaultClientSecret+"\n", "profile", "add", "e2e-device", "--issuer", srv.URL,
		"--client-id", oauth2test.DefaultClientID, "--grant", "device", "--client-secret-stdin")

	// The session's shell prints the exit code and stays, so the screen
	// can be read after tokenward ends.
	tm := newTmux(t, c.env, c.bin+" login -p e2e-device --no-browser --timeout 60s; echo EXIT=$?; sleep 60")
	code := tm.waitFor(regexp.MustCompile(`enter the code:\s+([A-Z0-9-]+)`), 15*time.Second)[1]
	screen := tm.waitFor(regexp.MustCompile(`[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for approval… code expires in \d+:\d\d`), 10*time.Second)[0]
	if !strings.Contains(screen, "Waiting for approval") {
		t.Fatalf("no spinner/countdown:\n%s", tm.screen())
	}
	s := tm.screen()
	if !strings.Contains(s, srv.VerificationURL()) || !strings.ContainsAny(s, "▀▄█") {
		t.Fatalf("no verification URI or QR code:\n%s", s)
	}
	if !strings.Contains(s, "scan this QR code") {
		t.Fatalf("no QR caption:\n%s", s)
	}

	hits := srv.GrantRequests(oauth2test.GrantDeviceCode)
	time.Sleep(1500 * time.Millisecond) // let it poll (authorization_pending) at least once
	if srv.GrantRequests(oauth2test.GrantDeviceCode) <= hits {
		t.Fatalf("the CLI does not poll")
	}
	if err := srv.ApproveDevice(code, oauth2test.DefaultUsername); err != nil {
		t.Fatal(err)
	}
	tm.waitFor(regexp.MustCompile(`(?s)✓ Approved\..*Logged in: profile "e2e-device".*EXIT=0`), 15*time.Second)

	hitsTok := srv.TokenRequests()
	if tok := strings.TrimSpace(c.run("", "token", "-p", "e2e-device")); tok == "" || srv.TokenRequests() != hitsTok {
		t.Fatalf("token %q; token endpoint hits %d -> %d", tok, hitsTok, srv.TokenRequests())
	}
}
