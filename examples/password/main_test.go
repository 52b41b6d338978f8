package main

import (
	"context"
	"testing"
)

// TestRun keeps the example working: it runs it against its embedded server.
func TestRun(t *testing.T) {
	if err := run(context.Background()); err != nil {
		t.Fatal(err)
	}
}
