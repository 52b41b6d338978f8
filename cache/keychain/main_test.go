package keychain

import (
	"testing"

	"github.com/tokenward/tokenward/internal/testenv"
)

// TestMain stops the private keyring of testenv.Keyring after the tests.
func TestMain(m *testing.M) { testenv.Main(m) }
