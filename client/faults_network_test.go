package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/faulttest"
)

// Connection refused: the request provably never left, so even a
// one-time code is retried (3 times), then a *TransportError.
func TestFaultConnectionRefused(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	conf := rawConfig(faulttest.ClosedPort(t), isolatedHTTP(t, 0))
	for name, call := range map[string]func() error{
		"client_credentials": func() error { _, err := conf.ClientCredentialsToken(context.Background()); return err },
		"exchange": func() error {
			_, err := conf.Exchange(context.Background(), faultCode, client.Verifier(faultVerifier))
			return err
		},
		"refresh": func() error { _, err := conf.Refresh(context.Background(), faultRefresh); return err },
		"password": func() error {
			_, err := conf.PasswordCredentialsToken(context.Background(), faultUser, faultPassword)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := call()
			asTransport(t, err)
			if !strings.Contains(err.Error(), "refused") {
				t.Errorf("error %q; want it to say the connection was refused", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v; want the retry budget (under 2s of backoff)", d)
			}
			noLeak(t, err)
		})
	}
}

// A server that accepts and hangs up before reading: no HTTP answer, a
// *TransportError. A safe grant is retried; a code is not (the client
// cannot prove the request did not reach the server).
func TestFaultAcceptThenClose(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	t.Run("client_credentials retried", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.AcceptThenClose)
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).ClientCredentialsToken(context.Background())
		asTransport(t, err)
		if s.Accepted() < 4 {
			t.Errorf("accepted %d connections; want 4 (3 retries)", s.Accepted())
		}
		noLeak(t, err)
	})
	t.Run("exchange not retried", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.AcceptThenClose)
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).Exchange(context.Background(), faultCode, client.Verifier(faultVerifier))
		asTransport(t, err)
		if s.Accepted() > 2 { // net/http itself may redial once when nothing was written
			t.Errorf("accepted %d connections; want the code sent once", s.Accepted())
		}
		noLeak(t, err)
	})
}

// Reset in the middle of a response.
func TestFaultResetMidResponse(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	full := faulttest.Response(200, "application/json", tokenJSON)
	headEnd := strings.Index(full, "\r\n\r\n") + 4
	t.Run("mid-headers client_credentials retried then TransportError", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.ResetAfter(full[:headEnd/2]))
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).ClientCredentialsToken(context.Background())
		asTransport(t, err)
		if s.Requests() != 4 {
			t.Errorf("server read %d requests; want 4 (3 retries)", s.Requests())
		}
		noLeak(t, err)
	})
	t.Run("mid-headers refresh not replayed", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.ResetMidResponse(faulttest.Response(200, "application/json", "{}")))
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).Refresh(context.Background(), faultRefresh)
		asTransport(t, err)
		if s.Requests() != 1 {
			t.Errorf("server read %d requests; want 1 (a refresh that reached the server is never replayed)", s.Requests())
		}
		noLeak(t, err)
	})
	t.Run("mid-body is a ResponseError without the token", func(t *testing.T) {
		t.Parallel()
		// Cut inside the access token: the excerpt must not show its start.
		cut := headEnd + strings.Index(tokenJSON, faultAccess) + len(faultAccess)/2 + 2
		s := faulttest.Serve(t, faulttest.ResetAfter(full[:cut]))
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).ClientCredentialsToken(context.Background())
		rerr := asResponse(t, err)
		if rerr.StatusCode != 200 || !strings.Contains(rerr.Reason, "reading body") {
			t.Errorf("got %+v; want status 200 and a body read failure", rerr)
		}
		if s.Requests() != 1 {
			t.Errorf("server read %d requests; want 1 (a status was received)", s.Requests())
		}
		noLeak(t, err, faultAccess[:len(faultAccess)/2])
	})
}

// Slow loris: headers, then one byte every 200ms.
func TestFaultSlowLoris(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	full := faulttest.Response(200, "application/json", tokenJSON)
	headEnd := strings.Index(full, "\r\n\r\n") + 4
	bodyStart := headEnd + len(`{"access_token":"at-`)
	slowBody := faulttest.SlowLoris(full[:bodyStart], full[bodyStart:], 200*time.Millisecond)
	slowHead := faulttest.SlowLoris("", full, 200*time.Millisecond)

	t.Run("body with context deadline", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, slowBody)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).ClientCredentialsToken(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %T %v; want context.DeadlineExceeded (the caller's context ended)", err, err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("took %v; want about the 500ms deadline", d)
		}
		noLeak(t, err)
	})
	t.Run("headers with context deadline", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, slowHead)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).Exchange(ctx, faultCode)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %T %v; want context.DeadlineExceeded", err, err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("took %v; want about the 500ms deadline", d)
		}
		noLeak(t, err)
	})
	t.Run("body with HTTPClient.Timeout", func(t *testing.T) {
		// The status arrived, the body did not: a truncated body, reported
		// as a *ResponseError with the status, and not retried.
		t.Parallel()
		s := faulttest.Serve(t, slowBody)
		start := time.Now()
		_, err := rawConfig(s.URL, isolatedHTTP(t, 500*time.Millisecond)).ClientCredentialsToken(context.Background())
		rerr := asResponse(t, err)
		if rerr.StatusCode != 200 || !strings.Contains(rerr.Reason, "reading body") {
			t.Errorf("got %+v; want status 200 and a body read failure", rerr)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("took %v; want about the 500ms timeout", d)
		}
		if s.Requests() != 1 {
			t.Errorf("server read %d requests; want 1", s.Requests())
		}
		noLeak(t, err)
	})
	t.Run("headers with HTTPClient.Timeout, code not retried", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, slowHead)
		start := time.Now()
		_, err := rawConfig(s.URL, isolatedHTTP(t, 500*time.Millisecond)).Exchange(context.Background(), faultCode)
		asTransport(t, err)
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("took %v; want about the 500ms timeout", d)
		}
		if s.Requests() != 1 {
			t.Errorf("server read %d requests; want 1", s.Requests())
		}
		noLeak(t, err)
	})
	t.Run("headers with HTTPClient.Timeout, client_credentials retried", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, slowHead)
		_, err := rawConfig(s.URL, isolatedHTTP(t, 300*time.Millisecond)).ClientCredentialsToken(context.Background())
		te := asTransport(t, err)
		if !strings.Contains(te.Error(), "Timeout") && !strings.Contains(te.Error(), "timeout") {
			t.Errorf("error %q; want it to name the timeout", te)
		}
		if s.Requests() != 4 {
			t.Errorf("server read %d requests; want 4 (3 retries)", s.Requests())
		}
		noLeak(t, err)
	})
}

// A server that reads the request and never answers.
func TestFaultNeverAnswer(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	t.Run("context deadline", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.NeverAnswer)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).Refresh(ctx, faultRefresh)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %T %v; want context.DeadlineExceeded", err, err)
		}
		noLeak(t, err)
	})
	t.Run("HTTPClient.Timeout", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.NeverAnswer)
		_, err := rawConfig(s.URL, isolatedHTTP(t, 300*time.Millisecond)).Refresh(context.Background(), faultRefresh)
		asTransport(t, err)
		if s.Requests() != 1 {
			t.Errorf("server read %d requests; want 1 (a refresh is not replayed)", s.Requests())
		}
		noLeak(t, err)
	})
}
