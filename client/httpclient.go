package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// Limits of the token endpoint conversation.
const (
	// MaxResponseBytes caps token endpoint response bodies.
	MaxResponseBytes = 1 << 20
	// requestTimeout bounds one HTTP attempt of the default client.
	requestTimeout = 30 * time.Second
	// maxRetries is how many times a failed request is retried.
	maxRetries = 3
	// retryWaitMin and retryWaitMax bound the backoff between attempts.
	retryWaitMin = 250 * time.Millisecond
	retryWaitMax = 5 * time.Second
	// maxRetryAfter is the longest Retry-After honoured; a server asking
	// for more gets its error returned at once.
	maxRetryAfter = 30 * time.Second
)

// retryPolicy says which failures of a request may be retried.
type retryPolicy int

const (
	// retrySafe: the request may be sent twice (client_credentials,
	// password, device polling).
	retrySafe retryPolicy = iota
	// retryUnsent: the request carries a one-time credential
	// (authorization code, rotating refresh token); it is retried only
	// when it provably never reached the server.
	retryUnsent
)

type retryPolicyKey struct{}

var (
	defaultHTTPOnce sync.Once
	defaultHTTP     *http.Client
)

// defaultHTTPClient is shared by every Config without an HTTPClient.
func defaultHTTPClient() *http.Client {
	defaultHTTPOnce.Do(func() {
		defaultHTTP = &http.Client{Transport: cleanhttp.DefaultPooledTransport(), Timeout: requestTimeout}
	})
	return defaultHTTP
}

// httpDoer sends token endpoint requests with c's client and the retry
// policy.
func (c *Config) retryClient() *retryablehttp.Client {
	base := c.HTTPClient
	if base == nil {
		base = defaultHTTPClient()
	}
	hc := *base // never follow redirects from the token endpoint
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &retryablehttp.Client{
		HTTPClient:   &hc,
		RetryWaitMin: retryWaitMin,
		RetryWaitMax: retryWaitMax,
		RetryMax:     maxRetries,
		CheckRetry:   checkRetry,
		Backoff:      backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// checkRetry is the grant-aware retry policy.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	policy, _ := ctx.Value(retryPolicyKey{}).(retryPolicy)
	if err != nil {
		if policy == retryUnsent {
			return neverSent(err), nil
		}
		return transient(err), nil
	}
	if policy == retryUnsent {
		return false, nil // the server saw it
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		if d, ok := retryAfter(resp); ok && d > maxRetryAfter {
			return false, nil // the caller decides whether to wait that long
		}
		return true, nil
	}
	return false, nil
}

// neverSent reports whether err happened before the request could reach
// the server: the connection was never established.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsTemporary
}

// transient reports whether a transport error is worth retrying: not a
// certificate or TLS configuration problem.
func transient(err error) bool {
	var cert *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var inv x509.CertificateInvalidError
	var rec tls.RecordHeaderError
	switch {
	case errors.As(err, &cert), errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &inv), errors.As(err, &rec):
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false
	}
	return true
}

// backoff honours Retry-After (seconds or an HTTP date) on 429 and 5xx,
// else waits exponentially with full jitter.
func backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := retryAfter(resp); ok {
			return d
		}
	}
	d := min << attempt
	if d <= 0 || d > max {
		d = max
	}
	return min + time.Duration(rand.Int64N(int64(d-min)+1))
}

// retryAfter parses the Retry-After header of a 429 or 5xx response.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}
