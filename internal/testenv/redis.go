package testenv

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a Redis process may take to answer.
const startTimeout = 15 * time.Second

// RedisServer is a redis-server (or Sentinel) process started for a test.
type RedisServer struct {
	Addr string // 127.0.0.1:<port>
	Port int
	Dir  string // its working directory (logs, configuration)
	cmd  *exec.Cmd
	done chan struct{}
}

// Require skips t when one of the named binaries is not on $PATH, or
// fails it under CI (scripts/test.sh installs them all).
func Require(t testing.TB, binaries ...string) {
	t.Helper()
	for _, b := range binaries {
		if _, err := exec.LookPath(b); err != nil {
			unavailable(t, err.Error())
			return
		}
	}
}

// Redis starts a standalone redis-server (no persistence) on a free
// loopback port; it is killed when t ends.
func Redis(t testing.TB) *RedisServer {
	t.Helper()
	Require(t, "redis-server", "redis-cli")
	return startRedis(t, false, nil)
}

// Kill stops the server with SIGKILL, as a crash would, and waits until
// it is gone.
func (s *RedisServer) Kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// addrs returns the servers' addresses.
func addrs(servers []*RedisServer) []string {
	var a []string
	for _, s := range servers {
		a = append(a, s.Addr)
	}
	return a
}

// Pause stops the server's process (SIGSTOP): it keeps its connections
// but answers nothing, like a replica that lags, until Resume.
func (s *RedisServer) Pause() { s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *RedisServer) Resume() { s.cmd.Process.Signal(syscall.SIGCONT) }

// Do runs one command with redis-cli and returns its output, trimmed.
func (s *RedisServer) Do(t testing.TB, args ...string) string {
	t.Helper()
	out, err := cli(s.Port, args...)
	if err != nil {
		t.Fatalf("testenv: redis-cli -p %d %s: %v: %s", s.Port, strings.Join(args, " "), err, out)
	}
	return out
}

func cli(port int, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port)}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// freePort returns a loopback port that is free now, and whose cluster bus
// port (port+10000) is free too.
func freePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if port+10000 > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			continue
		}
		bus.Close()
		return port
	}
	t.Fatal("testenv: no free port pair")
	return 0
}

// startRedis starts redis-server with the given extra configuration lines
// (sentinel: as a Sentinel), retrying on a port lost to another process.
func startRedis(t testing.TB, sentinel bool, conf []string) *RedisServer {
	t.Helper()
	var last string
	for range 5 {
		port := freePort(t)
		dir := t.TempDir()
		lines := append([]string{
			"bind 127.0.0.1",
			"port " + strconv.Itoa(port),
			"dir " + dir,
			"logfile " + filepath.Join(dir, "redis.log"),
		}, conf...)
		if !sentinel {
			lines = append(lines, `save ""`, "appendonly no")
		}
		cfg := filepath.Join(dir, "redis.conf")
		if err := os.WriteFile(cfg, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{cfg}
		if sentinel {
			args = append(args, "--sentinel")
		}
		cmd := exec.Command("redis-server", args...)
		if err := cmd.Start(); err != nil {
			t.Fatalf("testenv: starting redis-server: %v", err)
		}
		s := &RedisServer{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, Dir: dir, cmd: cmd, done: make(chan struct{})}
		go func() { cmd.Wait(); close(s.done) }() // ends when the process exits
		t.Cleanup(s.Kill)
		if err := s.waitReady(); err == nil {
			return s
		} else {
			last = err.Error()
		}
		s.Kill()
		if !strings.Contains(last, "in use") {
			break
		}
	}
	t.Fatalf("testenv: redis-server did not start: %s", last)
	return nil
}

func (s *RedisServer) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("exited: %s", s.logTail())
		default:
		}
		if out, err := cli(s.Port, "ping"); err == nil && out == "PONG" {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v: %s", startTimeout, s.logTail())
}

// logTail returns the last lines of the server's log.
func (s *RedisServer) logTail() string {
	f, err := os.Open(filepath.Join(s.Dir, "redis.log"))
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 10 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("testenv: %s: not within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// info returns one field of INFO section from the server on port ("" if
// it does not answer).
func info(port int, section, field string) string {
	out, err := cli(port, "info", section)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}
