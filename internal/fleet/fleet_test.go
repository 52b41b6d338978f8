package fleet

import (
	"path/filepath"
	"testing"
	"time"
)

func TestFleetChild(t *testing.T) { Child(t, nil) }

func TestFleetFileCache(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process proof")
	}
	Proof(t, nil, "file:"+filepath.Join(t.TempDir(), "tokens"), Processes)
}

func TestFleetXOAuth2Comparison(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process proof")
	}
	XOAuth2Cost(t)
}

func TestFleetKilledLockHolderFile(t *testing.T) {
	waited := KilledHolder(t, nil, "file:"+filepath.Join(t.TempDir(), "tokens"), 3*time.Second)
	t.Logf("file lock free %v after its holder was killed", waited)
	if waited > time.Second {
		t.Errorf("waited %v; want the OS to release the file lock of a dead process at once", waited)
	}
}
