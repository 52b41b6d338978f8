package main

import "testing"

// TestRun keeps the example working: it runs it against its embedded server.
func TestRun(t *testing.T) {
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
