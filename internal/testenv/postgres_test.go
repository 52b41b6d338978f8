package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// query runs sql with psql on the database that dsn names.
func query(t *testing.T, dsn, sql string) (string, error) {
	t.Helper()
	tmpl, err := template(t)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(tmpl.bin, "psql"), "-X", "-At", "-d", dsn, "-c", sql)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestPostgresSchemasAreSeparate(t *testing.T) {
	start := time.Now()
	a := Postgres(t)
	t.Logf("first Postgres call (initdb, start): %v", time.Since(start))
	start = time.Now()
	b := Postgres(t)
	t.Logf("second Postgres call (a new schema): %v", time.Since(start))
	if a == b {
		t.Fatalf("two calls returned the same DSN %q", a)
	}
	if _, err := query(t, a, "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	if out, err := query(t, b, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a' AND schemaname = current_schema()"); err != nil || out != "0" {
		t.Errorf("table of database a seen in database b: %q, %v; want 0", out, err)
	}
	if out, err := query(t, a, "SELECT current_user, current_setting('listen_addresses')"); err != nil || out != PostgresUser+"|" {
		t.Errorf("user and listen_addresses = %q, %v; want %q (no TCP)", out, err, PostgresUser+"|")
	}
}

func TestPostgresServerStopStart(t *testing.T) {
	s := StartPostgres(t)
	dsn := s.DSN("postgres")
	if _, err := query(t, dsn, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	out, err := query(t, dsn, "SELECT usesuper FROM pg_user WHERE usename = current_user")
	if err != nil || out != "t" {
		t.Fatalf("superuser = %q, %v", out, err)
	}
	s.Stop(t)
	if _, err := query(t, dsn, "SELECT 1"); err == nil {
		t.Fatal("query after Stop succeeded; want an error")
	}
	s.Start(t)
	if _, err := query(t, dsn, "SELECT 1"); err != nil {
		t.Fatalf("query after Start: %v", err)
	}
}

func TestServerRunsAsNonRoot(t *testing.T) {
	s := StartPostgres(t)
	status, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			if f := strings.Fields(rest); len(f) == 0 || f[0] == "0" {
				t.Errorf("postgres runs with uid %q; want a non-root user", rest)
			}
			return
		}
	}
	t.Error("no Uid line in /proc/PID/status")
}

// recordTB records how a helper ended a test; unavailableOrFail calls
// only the methods it defines.
type recordTB struct {
	testing.TB
	skipped, failed bool
}

func (r *recordTB) Helper()               {}
func (r *recordTB) Skipf(string, ...any)  { r.skipped = true }
func (r *recordTB) Fatalf(string, ...any) { r.failed = true }

// TestMissingBinaries: without the PostgreSQL binaries a test is skipped,
// and fails under CI; any other error always fails.
func TestMissingBinaries(t *testing.T) {
	tests := []struct {
		ci          string
		err         error
		skip, fatal bool
	}{
		{"", errNoPostgres, true, false},
		{"true", errNoPostgres, false, true},
		{"", errors.New("initdb: disk full"), false, true},
	}
	for _, tt := range tests {
		t.Setenv("CI", tt.ci)
		r := &recordTB{}
		unavailableOrFail(r, tt.err)
		if r.skipped != tt.skip || r.failed != tt.fatal {
			t.Errorf("CI=%q, %v: skipped %t, failed %t; want %t, %t", tt.ci, tt.err, r.skipped, r.failed, tt.skip, tt.fatal)
		}
	}
}
