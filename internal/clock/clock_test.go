package clock

import (
	"strings"
	"testing"
	"time"
)

func TestRealHasNoMonotonicReading(t *testing.T) {
	// A monotonic reading stops while a machine sleeps: comparisons of
	// times carrying one miss an expiry that passed during a suspend.
	if got := Real.Now().String(); strings.Contains(got, "m=") {
		t.Errorf("Real.Now() = %s; want no monotonic reading", got)
	}
}

func TestFake(t *testing.T) {
	c := NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var ran []string
	c.AfterFunc(2*time.Second, func() { ran = append(ran, "b") })
	c.AfterFunc(time.Second, func() { ran = append(ran, "a") })
	stopped := c.AfterFunc(time.Second, func() { ran = append(ran, "x") })
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop: want true once, then false")
	}
	c.Advance(time.Second)
	c.Advance(time.Second)
	if got, want := strings.Join(ran, ""), "ab"; got != want {
		t.Errorf("ran %q; want %q", got, want)
	}
	if got := c.Pending(); got != 0 {
		t.Errorf("Pending() = %d; want 0", got)
	}
}
