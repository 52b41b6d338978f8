package testenv

import (
	"os"
	"strconv"
	"sync"
	"testing"
)

// EnvCI is the environment variable that is "true" under CI (.ci/run sets it): there a missing
// service fails a test instead of skipping it.
const EnvCI = "CI"

// binary holds the services shared by the tests of one test binary ([Postgres], [OIDCProvider],
// [Keyring]): each is started on first use and stopped by [Run] when the tests end. It is
// package-level because it is shared by every test of the binary; mu guards it.
var binary struct {
	mu      sync.Mutex
	running bool     // Run is running the tests
	stops   []func() // registered by the shared services, called in reverse order
}

// Main runs the tests of m, stops the services shared by the test binary and exits. Call it
// from TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run runs the tests of m, then stops the services shared by the test binary and removes
// their files; it returns m.Run's exit code. Use it when another TestMain helper runs m, e.g.
//
//	goleak.VerifyTestMain(testenv.M{M: m})
func Run(m interface{ Run() int }) int {
	binary.mu.Lock()
	binary.running = true
	binary.mu.Unlock()
	code := m.Run()
	binary.mu.Lock()
	stops := binary.stops
	binary.stops, binary.running = nil, false
	binary.mu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
	return code
}

// M wraps a *testing.M so that its Run stops the shared services, for TestMain helpers that
// call Run themselves (goleak.VerifyTestMain).
type M struct{ M *testing.M }

// Run runs the tests and stops the shared services, see [Run].
func (m M) Run() int { return Run(m.M) }

// atEnd reports whether [Run] is running the tests, so that a service may be shared by the
// binary; if so, stop is called when the tests end.
func atEnd(stop func()) bool {
	binary.mu.Lock()
	defer binary.mu.Unlock()
	if binary.running {
		binary.stops = append(binary.stops, stop)
	}
	return binary.running
}

// UnderCI reports whether the tests run under CI ($CI is "true", or another true value
// accepted by strconv.ParseBool). Under CI a missing service fails a test instead of skipping it.
func UnderCI() bool {
	ci, err := strconv.ParseBool(os.Getenv(EnvCI))
	return err == nil && ci
}

// unavailable fails tb under CI and skips it otherwise. Callers must return right after it:
// a fake testing.TB (as in this package's tests) may return from Fatal and Skip.
func unavailable(tb testing.TB, msg string) {
	tb.Helper()
	if UnderCI() {
		tb.Fatal("testenv: " + msg + " (CI=true: a missing service fails; scripts/test.sh installs it)")
	} else {
		tb.Skip("testenv: " + msg + "; skipping (scripts/test.sh installs it)")
	}
}
