package faulttest_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tokenward/tokenward/internal/faulttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// client is a fresh client per test, so no idle connection outlives it.
func client(t *testing.T, timeout time.Duration) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

func TestClosedPortRefuses(t *testing.T) {
	_, err := client(t, time.Second).Get(faulttest.ClosedPort(t))
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("got %v; want connection refused", err)
	}
}

func TestAcceptThenClose(t *testing.T) {
	s := faulttest.Serve(t, faulttest.AcceptThenClose)
	if _, err := client(t, time.Second).Get(s.URL); err == nil {
		t.Fatal("got a response; want an error")
	}
	if s.Accepted() < 1 || s.Requests() != 0 {
		t.Errorf("accepted %d, requests %d; want >=1 and 0", s.Accepted(), s.Requests())
	}
}

func TestResetMidResponse(t *testing.T) {
	s := faulttest.Serve(t, faulttest.ResetMidResponse(faulttest.Response(200, "text/plain", strings.Repeat("x", 100))))
	resp, err := client(t, time.Second).Get(s.URL)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("read a whole response; want a reset")
	}
	if s.Requests() != 1 {
		t.Errorf("requests = %d; want 1", s.Requests())
	}
}

func TestSlowLorisAndTimeout(t *testing.T) {
	s := faulttest.Serve(t, faulttest.SlowLoris(faulttest.Head(200, "text/plain", 100), strings.Repeat("x", 100), 50*time.Millisecond))
	start := time.Now()
	resp, err := client(t, 300*time.Millisecond).Get(s.URL)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("got %v after %v; want a timeout after about 300ms", err, time.Since(start))
	}
}

func TestNeverAnswer(t *testing.T) {
	s := faulttest.Serve(t, faulttest.NeverAnswer)
	_, err := client(t, 200*time.Millisecond).Get(s.URL)
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v; want a timeout", err)
	}
	s.Close()
	s.Close() // idempotent
}
