package sqlcache_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/cache/sqlcache"
	"github.com/tokenward/tokenward/internal/fleet"
	"github.com/tokenward/tokenward/tokensource"
)

// The multi-process proofs of internal/fleet, on a SQL cache: each child
// process re-executes this test binary (TestFleetChild).

// fleetSQL opens the SQL cache named by "DRIVER|DSN".
func fleetSQL(t *testing.T, kind, arg string) tokensource.Cache {
	if kind != "sql" {
		t.Fatalf("unknown backend %q", kind)
	}
	driver, dsn, _ := strings.Cut(arg, "|")
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store, err := sqlcache.New(db, &sqlcache.Options{LockRetry: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func TestFleetChild(t *testing.T) { fleet.Child(t, fleetSQL) }

// fleetSpec creates the tables of b's database and names it for the
// fleet.
func fleetSpec(t *testing.T, b backend) string {
	driver, dsn := b.dsn(t)
	newStore(t, openDB(t, driver, dsn), nil)
	return "sql:" + driver + "|" + dsn
}

// TestFleetTwoProcesses: two OS processes share one token on one
// database, against a server that rotates refresh tokens and rejects a
// reused one. The pair logs in once, makes one refresh per token lifetime
// and never meets invalid_grant.
func TestFleetTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process proof")
	}
	eachBackend(t, func(t *testing.T, b backend) {
		fleet.Proof(t, fleetSQL, fleetSpec(t, b), 2)
	})
}

// TestFleetKilledLockHolder: a process that dies holding the lock frees
// it at once on PostgreSQL (the server ends its session) and when its
// lease ends on SQLite.
func TestFleetKilledLockHolder(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		const ttl = 3 * time.Second
		waited := fleet.KilledHolder(t, fleetSQL, fleetSpec(t, b), ttl)
		t.Logf("%s: lock free %v after its holder was killed (lease %v)", b.name, waited, ttl)
		switch b.name {
		case "Postgres":
			if waited > time.Second {
				t.Errorf("waited %v; want the server to end a dead process's session, and its lock, at once", waited)
			}
		case "SQLite":
			if waited < ttl/2 || waited > ttl+time.Second {
				t.Errorf("waited %v; want the lock held until its %v lease ended, then taken over", waited, ttl)
			}
		}
	})
}
