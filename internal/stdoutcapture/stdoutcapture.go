package stdoutcapture

import (
	"io"
	"os"
	"testing"
)

// Run calls fn with os.Stdout redirected to a pipe and returns what fn
// printed. It fails t if fn returns an error. Tests that use it must not
// run in parallel with others that print.
func Run(t *testing.T, fn func() error) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() { // ends when w is closed below
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	runErr := fn()
	os.Stdout = saved
	w.Close()
	out := <-done
	r.Close()
	if runErr != nil {
		t.Fatalf("run: %v\noutput:\n%s", runErr, out)
	}
	return out
}
