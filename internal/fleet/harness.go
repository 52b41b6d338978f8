package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/record"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// Environment of a child process.
const (
	envRole     = "TOKENWARD_FLEET_ROLE" // "tokenward", "x-oauth2" or "hold-lock"
	envTokenURL = "TOKENWARD_FLEET_TOKEN_URL"
	envBackend  = "TOKENWARD_FLEET_BACKEND" // "file:DIR" or "redis:ADDR|PREFIX"
	envDuration = "TOKENWARD_FLEET_DURATION"
	envSeed     = "TOKENWARD_FLEET_SEED" // x-oauth2: the shared starting token (JSON)
)

// fleetWindow is how long before expiry the fleet renews its token.
const fleetWindow = 300 * time.Millisecond

// The fleet's client.
const (
	ClientID     = "fleet-app"
	ClientSecret = "fleet-secret-value"
)

// Processes is the size of the fleet the proofs run by default.
const Processes = 8

// childReport is what a child prints as its last line.
type childReport struct {
	Calls        int      `json:"calls"`
	Errors       int      `json:"errors"`
	InvalidGrant int      `json:"invalid_grant"`
	FirstErrors  []string `json:"first_errors,omitempty"`
	Tokens       int      `json:"tokens"` // distinct access tokens seen
}

// NewServer returns an oauth2test server that knows the fleet's client,
// issues tokens of the given lifetime, rotates refresh tokens and detects
// their reuse.
func NewServer(t *testing.T, life time.Duration) *oauth2test.Server {
	return oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: ClientID, Secret: ClientSecret, TokenLifetime: life,
		IssueRefreshToken: true, RotateRefreshTokens: true,
	}}})
}

// Conf is the fleet's client configuration for tokenURL.
func Conf(tokenURL string) *client.Config {
	return &client.Config{ClientID: ClientID, ClientSecret: ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}}
}

// runFleet starts n children with env, waits for them, and returns their
// reports.
func runFleet(t *testing.T, n int, env ...string) []childReport {
	t.Helper()
	return Run[childReport](t, n, []string{"-test.run=^TestFleetChild$", "-test.v"}, env...)
}

// Run re-executes this test binary n times at once, with args and with env
// added to the environment, waits for every child and returns what each
// printed as JSON on its line starting with "REPORT " (see [PrintReport]).
// A child that fails or prints no report fails tb.
func Run[R any](tb testing.TB, n int, args []string, env ...string) []R {
	tb.Helper()
	var wg sync.WaitGroup
	reports := make([]R, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				errs[i] = fmt.Errorf("child %d: %v\n%s", i, err, out)
				return
			}
			for line := range strings.Lines(string(out)) {
				if rest, ok := strings.CutPrefix(line, "REPORT "); ok {
					errs[i] = json.Unmarshal([]byte(rest), &reports[i])
					return
				}
			}
			errs[i] = fmt.Errorf("child %d printed no report:\n%s", i, out)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return reports
}

// PrintReport prints rep as a child's report line, which [Run] reads.
func PrintReport(rep any) {
	b, _ := json.Marshal(rep)
	fmt.Printf("REPORT %s\n", b)
}

func sum(rs []childReport) (r childReport) {
	for _, c := range rs {
		r.Calls += c.Calls
		r.Errors += c.Errors
		r.InvalidGrant += c.InvalidGrant
		r.Tokens += c.Tokens
		r.FirstErrors = append(r.FirstErrors, c.FirstErrors...)
	}
	return r
}

// Child is the body of a child process: every test binary that uses this
// package defines
//
//	func TestFleetChild(t *testing.T) { fleet.Child(t, open) }
//
// which does nothing in a normal test run (the role variable is unset).
// open opens the backends other than "file:DIR"; it may be nil.
func Child(t *testing.T, open Opener) {
	role := os.Getenv(envRole)
	if role == "" {
		t.Skip("only runs as a child of the fleet tests")
	}
	d, _ := time.ParseDuration(os.Getenv(envDuration))
	var rep childReport
	switch role {
	case "tokenward":
		rep = runTokenward(t, open, d)
	case "x-oauth2":
		rep = runXOAuth2(t, d)
	case "hold-lock":
		holdLock(t, open)
		return
	default:
		t.Fatalf("unknown role %q", role)
	}
	PrintReport(rep)
}

// Opener opens the shared cache of a backend spec "KIND:ARG" other than
// "file:DIR" (for example "redis:ADDR|PREFIX").
type Opener func(t *testing.T, kind, arg string) tokensource.Cache

// backendCache opens the shared cache named by envBackend.
func backendCache(t *testing.T, open Opener) tokensource.Cache {
	spec := os.Getenv(envBackend)
	kind, arg, _ := strings.Cut(spec, ":")
	if kind == "file" {
		f, err := cache.NewFile(arg)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if open == nil {
		t.Fatalf("unknown backend %q", spec)
	}
	return open(t, kind, arg)
}

// loop calls get every few milliseconds for d and tallies the results.
func loop(d time.Duration, get func(context.Context) (*oauth2.Token, error)) childReport {
	var rep childReport
	seen := map[string]bool{}
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		rep.Calls++
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		tok, err := get(ctx)
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
		} else if !seen[tok.AccessToken] {
			seen[tok.AccessToken] = true
		}
		time.Sleep(5 * time.Millisecond)
	}
	rep.Tokens = len(seen)
	return rep
}

func runTokenward(t *testing.T, open Opener, d time.Duration) childReport {
	c := backendCache(t, open)
	src := Conf(os.Getenv(envTokenURL)).PasswordSource(oauth2test.DefaultUsername, oauth2test.DefaultPassword,
		&tokensource.Options{Cache: c, CacheKey: "fleet", LockTTL: 5 * time.Second, ExpiryWindow: fleetWindow})
	return loop(d, src.TokenContext)
}

func runXOAuth2(t *testing.T, d time.Duration) childReport {
	var seed oauth2.Token
	if err := json.Unmarshal([]byte(os.Getenv(envSeed)), &seed); err != nil {
		t.Fatal(err)
	}
	oc := &oauth2.Config{ClientID: ClientID, ClientSecret: ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: os.Getenv(envTokenURL), AuthStyle: oauth2.AuthStyleInHeader}}
	ts := oc.TokenSource(context.Background(), &seed) // a ReuseTokenSource
	return loop(d, func(context.Context) (*oauth2.Token, error) { return ts.Token() })
}

// holdLock takes the cache's lock, says so, and waits to be killed.
func holdLock(t *testing.T, open Opener) {
	l := backendCache(t, open).(tokensource.Locker)
	ttl, _ := time.ParseDuration(os.Getenv(envDuration))
	if _, err := l.Lock(context.Background(), "fleet", ttl); err != nil {
		t.Fatal(err)
	}
	fmt.Println("LOCKED")
	time.Sleep(time.Minute)
}

// Proof runs n tokenward processes ([Processes] by default) on one cache
// and checks that the fleet logged in once, made one token request per
// renewal and never broke the refresh token chain.
func Proof(t *testing.T, open Opener, backend string, n int) {
	const life = 2 * time.Second
	const run = 7 * time.Second
	srv := NewServer(t, life)
	reports := runFleet(t, n,
		envRole+"=tokenward", envTokenURL+"="+srv.TokenURL(), envBackend+"="+backend, envDuration+"="+run.String())
	total := sum(reports)
	password := srv.GrantRequests(oauth2test.GrantPassword)
	refreshes := srv.GrantRequests(oauth2test.GrantRefreshToken)
	t.Logf("tokenward, %d processes, %s, token lifetime %v over %v: %d calls, %d token requests (%d password + %d refresh), %d errors, %d invalid_grant",
		n, strings.SplitN(backend, ":", 2)[0], life, run, total.Calls, password+refreshes, password, refreshes, total.Errors, total.InvalidGrant)
	if total.Errors != 0 || total.InvalidGrant != 0 {
		t.Errorf("fleet errors = %d (invalid_grant %d): %v; want 0", total.Errors, total.InvalidGrant, total.FirstErrors)
	}
	if password != 1 {
		t.Errorf("password grants = %d; want 1 (one login for the whole fleet)", password)
	}
	// One renewal per token lifetime for the whole fleet, never one per
	// process: a token is renewed fleetWindow (plus up to 10% jitter)
	// before it expires.
	period := life - fleetWindow*11/10
	lifetimes := int(run / period)
	if refreshes < lifetimes-1 || refreshes > lifetimes+1 {
		t.Errorf("refresh requests = %d; want %d±1 (one per token lifetime of %v, not one per process)", refreshes, lifetimes, period)
	}
	if issued := srv.IssuedAccessTokens(); issued != password+refreshes {
		t.Errorf("issued access tokens = %d; want %d", issued, password+refreshes)
	}
	// No lost refresh token: the chain the fleet left in the cache still works.
	c := openBackend(t, open, backend)
	data, err := c.Load(context.Background(), "fleet")
	if err != nil || data == nil {
		t.Fatalf("cache after the run: %v, %v; want the newest token", data, err)
	}
	rec, err := record.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Conf(srv.TokenURL()).Refresh(context.Background(), rec.Token.RefreshToken); err != nil {
		t.Errorf("the fleet's newest refresh token no longer works: %v", err)
	}
}

// XOAuth2Cost runs the same fleet with x/oauth2's ReuseTokenSource, which
// has no shared cache: every process refreshes the shared starting token
// by itself.
func XOAuth2Cost(t *testing.T) {
	const life = 12 * time.Second // x/oauth2 refreshes 10 s before expiry
	const run = 5 * time.Second
	srv := NewServer(t, life)
	seed, err := Conf(srv.TokenURL()).PasswordCredentialsToken(context.Background(), oauth2test.DefaultUsername, oauth2test.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	seedJSON, _ := json.Marshal(seed)
	reports := runFleet(t, Processes,
		envRole+"=x-oauth2", envTokenURL+"="+srv.TokenURL(), envSeed+"="+string(seedJSON), envDuration+"="+run.String())
	total := sum(reports)
	refreshes := srv.GrantRequests(oauth2test.GrantRefreshToken)
	t.Logf("x/oauth2 ReuseTokenSource, %d processes sharing one starting token, lifetime %v over %v: %d calls, %d refresh requests, %d errors, %d invalid_grant",
		Processes, life, run, total.Calls, refreshes, total.Errors, total.InvalidGrant)
	if refreshes < 2 || total.InvalidGrant == 0 {
		t.Errorf("x/oauth2 fleet: %d refreshes and %d invalid_grant; the comparison expects several of each", refreshes, total.InvalidGrant)
	}
}

func openBackend(t *testing.T, open Opener, backend string) tokensource.Cache {
	t.Setenv(envBackend, backend)
	return backendCache(t, open)
}

// KilledHolder starts a child that takes the lock and kills it, then
// measures how long the lock stays wedged.
func KilledHolder(t *testing.T, open Opener, backend string, ttl time.Duration) time.Duration {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFleetChild$")
	cmd.Env = append(os.Environ(), envRole+"=hold-lock", envBackend+"="+backend, envDuration+"="+ttl.String())
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
	cmd.Process.Kill()
	cmd.Wait()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), ttl+5*time.Second)
	defer cancel()
	unlock, err := openBackend(t, open, backend).(tokensource.Locker).Lock(ctx, "fleet", ttl)
	if err != nil {
		t.Fatalf("lock after the holder was killed: %v", err)
	}
	unlock()
	return time.Since(start)
}
