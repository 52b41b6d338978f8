package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenward/tokenward/internal/testenv"
)

// binary is the tokenward binary built once for the package's tests.
var binary struct {
	once sync.Once
	path string
	err  error
	dir  string
}

// TestMain removes the built binary after the tests and stops the shared
// services of testenv.
func TestMain(m *testing.M) {
	code := testenv.Run(m)
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// buildBinary builds cmd/tokenward with go build, once.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "tokenward-bin-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "tokenward")
		out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// runner runs the tokenward binary with a private config file. Its keychain
// is the throw-away one of testenv.Keyring.
type runner struct {
	t   *testing.T
	bin string
	env []string
}

// newCLI needs the OS keychain: under CI it must be there.
func newCLI(t *testing.T) *runner {
	t.Helper()
	testenv.Keyring(t)
	bin := buildBinary(t)
	cfg := filepath.Join(t.TempDir(), "config.json")
	env := append(os.Environ(), "TOKENWARD_CONFIG="+cfg, "TOKENWARD_PROFILE=", "BROWSER=false")
	return &runner{t: t, bin: bin, env: env}
}

// run runs tokenward to completion and returns stdout, failing the test
// on a non-zero exit.
func (c *runner) run(stdin string, args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("tokenward %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// login is a running 'tokenward login'.
type login struct {
	cmd    *exec.Cmd
	lines  chan string
	mu     sync.Mutex
	stdout strings.Builder
	stderr bytes.Buffer
	done   chan error
}

// start starts tokenward in the background.
func (c *runner) start(args ...string) *login {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env
	l := &login{cmd: cmd, lines: make(chan string, 100), done: make(chan error, 1)}
	cmd.Stderr = &l.stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			l.mu.Lock()
			l.stdout.WriteString(sc.Text() + "\n")
			l.mu.Unlock()
			select {
			case l.lines <- sc.Text():
			default:
			}
		}
		io.Copy(io.Discard, pipe)
		close(l.lines)
		l.done <- cmd.Wait()
	}()
	c.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return l
}

var urlLineRe = regexp.MustCompile(`^\s+(https?://\S+)$`)

// authURL returns the authorization URL the CLI printed.
func (l *login) authURL(t *testing.T) string {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				t.Fatalf("tokenward exited without printing a URL:\n%s\n%s", l.output(), l.stderr.String())
			}
			if m := urlLineRe.FindStringSubmatch(line); m != nil {
				return m[1]
			}
		case <-timeout:
			t.Fatalf("no URL printed within 15s:\n%s", l.output())
		}
	}
}

// wait waits for the CLI to exit and fails the test unless it exited 0.
func (l *login) wait(t *testing.T) string {
	t.Helper()
	select {
	case err := <-l.done:
		if err != nil {
			t.Fatalf("tokenward login: %v\nstdout: %s\nstderr: %s", err, l.output(), l.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("tokenward login did not exit:\n%s", l.output())
	}
	return l.output()
}

func (l *login) output() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stdout.String()
}
