package cli

import (
	"testing"

	"github.com/tokenward/tokenward/internal/testenv"
)

// TestMain shares one oidc-provider (and the other test services) across
// the package's tests and stops them at the end.
func TestMain(m *testing.M) { testenv.Main(m) }
