package testenv

import (
	"errors"
	"testing"
)

// TestStartOIDCWithoutNode: without node on $PATH the start fails with errNoNode, which
// OIDCProvider turns into a skip (a failure under CI), never into a hang.
func TestStartOIDCWithoutNode(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	p, err := startOIDC()
	if !errors.Is(err, errNoNode) {
		if p != nil {
			p.stop()
		}
		t.Fatalf("startOIDC without node: got %v; want errNoNode", err)
	}
}
