package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// PostgresUser is the database superuser of every server started here; it
// authenticates with "trust" over the unix socket only.
const PostgresUser = "tw"

// postgresReady bounds how long a server may take to accept connections.
const postgresReady = 30 * time.Second

// The shared server of this test binary: started by the first call to
// [Postgres], stopped by [Run] when the tests end. Package-level because
// it is shared by every test of the binary; it is guarded by its once and
// mutex.
var shared struct {
	once    sync.Once
	srv     *PostgresServer
	err     error
	tmpl    *pgTemplate
	mu      sync.Mutex
	tmplErr error
	tmplOK  bool
}

// stopPostgres stops the shared server and removes its files.
func stopPostgres() {
	if shared.srv != nil {
		shared.srv.stop()
		os.RemoveAll(shared.srv.root)
	}
}

// removeTemplate removes the template cluster at the end of the tests.
func removeTemplate() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.tmpl != nil {
		os.RemoveAll(shared.tmpl.root)
	}
}

// Postgres returns the DSN of a new, empty schema on the PostgreSQL server
// shared by this test binary (started on first use; the package's
// TestMain must call [Main]): the DSN sets search_path to it, so
// unqualified names create and find tables there. The schema is dropped
// when tb ends. (A schema is made in milliseconds, a database in about
// half a second; note that advisory locks are per database, so they are
// shared by the tests of a binary.) The DSN is in the key=value form that
// pgx and libpq understand. When the
// PostgreSQL binaries are missing the test is skipped, or fails under CI.
func Postgres(tb testing.TB) (dsn string) {
	tb.Helper()
	shared.once.Do(func() {
		if !atEnd(stopPostgres) {
			shared.err = errors.New("testenv.Postgres: the package's TestMain must call testenv.Main, which stops the shared server")
			return
		}
		tmpl, err := template(tb)
		if err != nil {
			shared.err = err
			return
		}
		shared.srv, shared.err = newServer(tmpl)
	})
	if shared.err != nil {
		unavailableOrFail(tb, shared.err)
		return ""
	}
	schema := "t_" + randomHex(8)
	if err := shared.srv.psql("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("testenv: create schema: %v", err)
	}
	tb.Cleanup(func() {
		if err := shared.srv.psql("DROP SCHEMA IF EXISTS " + schema + " CASCADE"); err != nil {
			tb.Errorf("testenv: drop schema: %v", err)
		}
	})
	return shared.srv.DSN("postgres") + " options=-csearch_path=" + schema
}

// PostgresServer is a PostgreSQL server of its own, for tests that stop
// and start it. Its methods are not safe for concurrent use.
type PostgresServer struct {
	root string // holds data/, the socket and the log
	tmpl *pgTemplate
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// StartPostgres starts a PostgreSQL server for tb alone; it is stopped and
// its files removed when tb ends. Skipped (failed under CI) without the
// PostgreSQL binaries.
func StartPostgres(tb testing.TB) *PostgresServer {
	tb.Helper()
	tmpl, err := template(tb)
	if err != nil {
		unavailableOrFail(tb, err)
		return nil
	}
	s, err := newServer(tmpl)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	tb.Cleanup(func() {
		s.stop()
		os.RemoveAll(s.root)
	})
	return s
}

// DSN returns the DSN of database dbname on s ("postgres" always exists).
func (s *PostgresServer) DSN(dbname string) string {
	return fmt.Sprintf("host=%s user=%s dbname=%s sslmode=disable", s.root, PostgresUser, dbname)
}

// Stop shuts s down (fast shutdown: open sessions are ended) and waits
// until it has exited.
func (s *PostgresServer) Stop(tb testing.TB) {
	tb.Helper()
	if err := s.stop(); err != nil {
		tb.Fatalf("testenv: stop postgres: %v", err)
	}
}

// Start starts s again after Stop, on the same socket and data.
func (s *PostgresServer) Start(tb testing.TB) {
	tb.Helper()
	if err := s.start(); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
}

// pgTemplate is an initdb'd data directory that servers copy, so that a
// test binary runs initdb once.
type pgTemplate struct {
	bin  string // directory of initdb, postgres, psql
	cred *syscall.Credential
	root string // holds data/
}

// template returns this binary's template, running initdb on first use.
// A failure is remembered: the binaries do not appear later.
func template(tb testing.TB) (*pgTemplate, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.tmplOK || shared.tmplErr != nil {
		return shared.tmpl, shared.tmplErr
	}
	shared.tmpl, shared.tmplErr = initTemplate()
	shared.tmplOK = shared.tmplErr == nil
	if shared.tmplOK && !atEnd(removeTemplate) {
		// No Main to remove it at the end: remove it with tb.
		t := shared.tmpl
		tb.Cleanup(func() {
			shared.mu.Lock()
			defer shared.mu.Unlock()
			os.RemoveAll(t.root)
			shared.tmpl, shared.tmplOK = nil, false
		})
	}
	return shared.tmpl, shared.tmplErr
}

// errNoPostgres marks a machine without the PostgreSQL binaries.
var errNoPostgres = errors.New("PostgreSQL binaries not found (Debian package postgresql; scripts/test.sh installs it)")

func unavailableOrFail(tb testing.TB, err error) {
	tb.Helper()
	switch {
	case !errors.Is(err, errNoPostgres):
		tb.Fatalf("testenv: %v", err)
	case UnderCI():
		tb.Fatalf("testenv: %v: it must be installed under CI", err)
	default:
		tb.Skipf("testenv: %v: skipping", err)
	}
}

// bindir finds the directory holding initdb and postgres: pg_config's
// bindir, else the newest /usr/lib/postgresql/*/bin, else the directory of
// initdb on $PATH.
func bindir() (string, error) {
	var cands []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		cands = append(cands, strings.TrimSpace(string(out)))
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return pgVersion(b) - pgVersion(a) })
	cands = append(cands, dirs...)
	if p, err := exec.LookPath("initdb"); err == nil {
		cands = append(cands, filepath.Dir(p))
	}
	for _, d := range cands {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) && isExec(filepath.Join(d, "psql")) {
			return d, nil
		}
	}
	return "", errNoPostgres
}

func pgVersion(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// serverUser is who runs initdb and postgres, which refuse to run as
// root: the "postgres" user of the Debian package when the tests run as
// root, else the current user (nil credential).
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("tests run as root and there is no postgres user to run the server: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user postgres has a non-numeric uid %q or gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// tempRoot makes a directory owned by the server user. Unix socket paths
// are limited to about 100 bytes, so it lives in /tmp when $TMPDIR is long.
func tempRoot(cred *syscall.Credential) (string, error) {
	base := os.TempDir()
	if len(base) > 40 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "twpg")
	if err != nil {
		return "", err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

// pgConf is appended to the template's postgresql.conf: no TCP, and no
// durability work a throwaway test database does not need.
const pgConf = `
listen_addresses = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
log_min_messages = warning
`

func initTemplate() (*pgTemplate, error) {
	bin, err := bindir()
	if err != nil {
		return nil, err
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	root, err := tempRoot(cred)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(root, "data")
	cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", PostgresUser,
		"-E", "UTF8", "--locale=C", "--no-instructions", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(pgConf)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("postgresql.conf: %w", err)
	}
	return &pgTemplate{bin: bin, cred: cred, root: root}, nil
}

// newServer copies the template's data directory and starts a server on it.
func newServer(t *pgTemplate) (*PostgresServer, error) {
	root, err := tempRoot(t.cred)
	if err != nil {
		return nil, err
	}
	// cp -a keeps the owner and the 0700 mode postgres insists on.
	if out, err := exec.Command("cp", "-a", filepath.Join(t.root, "data"), filepath.Join(root, "data")).CombinedOutput(); err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("copy the template data directory: %v: %s", err, out)
	}
	s := &PostgresServer{root: root, tmpl: t}
	if err := s.start(); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	return s, nil
}

// start runs postgres in the foreground as a child of the test binary. If
// the test binary dies (a panic, a timeout), the kernel sends the server
// SIGINT (fast shutdown), so no server outlives it. A goroutine waits for
// the process and ends when it exits.
func (s *PostgresServer) start() error {
	if s.cmd != nil {
		return errors.New("postgres is already running")
	}
	logf, err := os.OpenFile(filepath.Join(s.root, "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(s.tmpl.bin, "postgres"), "-D", filepath.Join(s.root, "data"), "-k", s.root)
	cmd.Dir = s.root
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.tmpl.cred, Pdeathsig: syscall.SIGINT, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(postgresReady)
	for !s.ready() {
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("postgres exited during startup:\n%s", s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("postgres not ready after %v:\n%s", postgresReady, s.logTail())
		}
	}
	return nil
}

// ready reports whether the postmaster says it accepts connections: the
// status line of postmaster.pid reads "ready" and the socket exists.
func (s *PostgresServer) ready() bool {
	b, err := os.ReadFile(filepath.Join(s.root, "data", "postmaster.pid"))
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 8 || strings.TrimSpace(lines[7]) != "ready" {
		return false
	}
	_, err = os.Stat(filepath.Join(s.root, ".s.PGSQL.5432"))
	return err == nil
}

// stop sends SIGINT (fast shutdown) and waits for the exit, killing the
// server after 10 s.
func (s *PostgresServer) stop() error {
	if s.cmd == nil {
		return nil
	}
	defer func() { s.cmd = nil }()
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL) // the server and its backends
	<-s.done
	return errors.New("postgres did not shut down within 10s; killed")
}

// psql runs one SQL command on the "postgres" database of s.
func (s *PostgresServer) psql(sql string) error {
	cmd := exec.Command(filepath.Join(s.tmpl.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", s.root, "-U", PostgresUser, "-d", "postgres", "-c", sql)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("psql %q: %v: %s", sql, err, bytes.TrimSpace(out))
	}
	return nil
}

func (s *PostgresServer) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.root, "log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
