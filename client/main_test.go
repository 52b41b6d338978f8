package client

import (
	"testing"

	"github.com/tokenward/tokenward/internal/testenv"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them; the
// oidc-provider of testenv is shared by the tests and stopped first.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(testenv.M{M: m},
		// Idle keep-alive connections of the shared default client.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}
