package sqlcache_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tokenward/tokenward/internal/record"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache/sqlcache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// Environment of a child process (a re-execution of this test binary).
const (
	envRole     = "SQLCACHE_FLEET_ROLE" // "refresh" or "hold-lock"
	envDriver   = "SQLCACHE_FLEET_DRIVER"
	envDSN      = "SQLCACHE_FLEET_DSN"
	envTokenURL = "SQLCACHE_FLEET_TOKEN_URL"
	envDuration = "SQLCACHE_FLEET_DURATION" // refresh: how long to run; hold-lock: the lease
)

const (
	fleetClient = "sqlfleet-app"
	fleetSecret = "sqlfleet-secret-%3d+/"
	fleetKey    = "user-1"
	fleetWindow = 300 * time.Millisecond
)

type fleetReport struct {
	Calls, Errors, InvalidGrant int
	FirstErrors                 []string
}

func fleetConfig(tokenURL string) *client.Config {
	return &client.Config{ClientID: fleetClient, ClientSecret: fleetSecret,
		Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}}
}

// TestFleetChild is the body of a child process; it does nothing in a
// normal test run.
func TestFleetChild(t *testing.T) {
	role := os.Getenv(envRole)
	if role == "" {
		t.Skip("only runs as a child of the fleet tests")
	}
	db, err := sql.Open(os.Getenv(envDriver), os.Getenv(envDSN))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := sqlcache.New(db, &sqlcache.Options{LockRetry: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := time.ParseDuration(os.Getenv(envDuration))
	if role == "hold-lock" {
		if _, err := store.Lock(bg, fleetKey, d); err != nil {
			t.Fatal(err)
		}
		fmt.Println("LOCKED")
		time.Sleep(time.Minute) // until killed
		return
	}
	// The token a login saved is in the store: the source starts from it.
	src := fleetConfig(os.Getenv(envTokenURL)).TokenSource(nil, &tokensource.Options{
		Cache: store, CacheKey: fleetKey, LockTTL: 5 * time.Second, ExpiryWindow: fleetWindow})
	var rep fleetReport
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		rep.Calls++
		ctx, cancel := context.WithTimeout(bg, 10*time.Second)
		_, err := src.TokenContext(ctx)
		cancel()
		if err != nil {
			rep.Errors++
			var re *oauth2.RetrieveError
			if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
				rep.InvalidGrant++
			}
			if len(rep.FirstErrors) < 3 {
				rep.FirstErrors = append(rep.FirstErrors, err.Error())
			}
		}
	}
	b, _ := json.Marshal(rep)
	fmt.Printf("REPORT %s\n", b)
}

func child(env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFleetChild$", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestFleetTwoProcesses: two OS processes share user-1's token on one
// database, against a server that rotates refresh tokens and rejects a
// reused one. The pair makes one refresh per token lifetime and never
// meets invalid_grant.
func TestFleetTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process proof")
	}
	eachBackend(t, func(t *testing.T, b backend) {
		const life = 2 * time.Second
		const run = 6 * time.Second
		const processes = 2
		srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{
			ID: fleetClient, Secret: fleetSecret, TokenLifetime: life,
			IssueRefreshToken: true, RotateRefreshTokens: true,
		}}})
		driver, dsn := b.dsn(t)
		store := newStore(t, openDB(t, driver, dsn), nil)
		login, err := fleetConfig(srv.TokenURL()).PasswordCredentialsToken(bg, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
		if err != nil {
			t.Fatal(err)
		}
		if err := tokensource.Save(bg, store, fleetKey, login); err != nil {
			t.Fatal(err)
		}

		var wg sync.WaitGroup
		reports := make([]fleetReport, processes)
		errs := make([]error, processes)
		for i := range processes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := child(envRole+"=refresh", envDriver+"="+driver, envDSN+"="+dsn,
					envTokenURL+"="+srv.TokenURL(), envDuration+"="+run.String()).CombinedOutput()
				if err != nil {
					errs[i] = fmt.Errorf("child %d: %v\n%s", i, err, out)
					return
				}
				for _, line := range strings.Split(string(out), "\n") {
					if rest, ok := strings.CutPrefix(line, "REPORT "); ok {
						errs[i] = json.Unmarshal([]byte(rest), &reports[i])
						return
					}
				}
				errs[i] = fmt.Errorf("child %d printed no report:\n%s", i, out)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var total fleetReport
		for _, r := range reports {
			total.Calls += r.Calls
			total.Errors += r.Errors
			total.InvalidGrant += r.InvalidGrant
			total.FirstErrors = append(total.FirstErrors, r.FirstErrors...)
		}
		refreshes := srv.GrantRequests(oauth2test.GrantRefreshToken)
		t.Logf("%s, %d processes, token lifetime %v over %v: %d calls, %d refresh requests, %d errors, %d invalid_grant",
			b.name, processes, life, run, total.Calls, refreshes, total.Errors, total.InvalidGrant)
		if total.Errors != 0 || total.InvalidGrant != 0 {
			t.Errorf("errors = %d (invalid_grant %d): %v; want 0", total.Errors, total.InvalidGrant, total.FirstErrors)
		}
		// A token is renewed fleetWindow (plus up to 10% jitter) before it
		// expires; the login token's life started before the children did.
		period := life - fleetWindow*11/10
		lifetimes := int(run / period)
		if refreshes < lifetimes-1 || refreshes > lifetimes+1 {
			t.Errorf("refresh requests = %d; want %d±1 (one per token lifetime of %v, not one per process)", refreshes, lifetimes, period)
		}
		// The chain the pair left in the store still works.
		data, err := store.Load(bg, fleetKey)
		if err != nil || data == nil {
			t.Fatalf("store after the run: %v, %v", data, err)
		}
		rec, err := record.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fleetConfig(srv.TokenURL()).Refresh(bg, rec.Token.RefreshToken); err != nil {
			t.Errorf("the newest refresh token in the store no longer works: %v", err)
		}
	})
}

// TestFleetKilledLockHolder: a process that dies holding the lock frees
// it at once on PostgreSQL (the server ends its session) and when its
// lease ends on SQLite.
func TestFleetKilledLockHolder(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		const ttl = 3 * time.Second
		driver, dsn := b.dsn(t)
		store := newStore(t, openDB(t, driver, dsn), nil) // creates the tables
		cmd := child(envRole+"=hold-lock", envDriver+"="+driver, envDSN+"="+dsn, envDuration+"="+ttl.String())
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		for sc.Scan() && sc.Text() != "LOCKED" {
		}
		killed := time.Now()
		cmd.Process.Kill()
		cmd.Wait()
		if b.name == "SQLite" && tryLock(t, store, fleetKey, 50*time.Millisecond) && time.Since(killed) < ttl {
			t.Fatal("SQLite lock free right after its holder died; want it held until the lease ends")
		}
		ctx, cancel := context.WithTimeout(bg, ttl+5*time.Second)
		defer cancel()
		unlock, err := store.Lock(ctx, fleetKey, ttl)
		if err != nil {
			t.Fatalf("Lock after the holder was killed: %v", err)
		}
		unlock()
		waited := time.Since(killed)
		t.Logf("%s: lock free %v after its holder was killed (lease %v)", b.name, waited, ttl)
		switch b.name {
		case "Postgres":
			if waited > time.Second {
				t.Errorf("waited %v; want the server to end a dead process's session, and its lock, at once", waited)
			}
		case "SQLite":
			if waited > ttl+time.Second {
				t.Errorf("waited %v; want the lock taken over when its %v lease ended", waited, ttl)
			}
		}
	})
}
