package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/tokenward/tokenward/internal/wire"
)

// Limits of the conversation with an authorization server.
const (
	// MaxResponseBytes caps the bodies of token, device authorization and
	// revocation responses.
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

// retryPolicy says which failures of a request may be retried. The
// retryablehttp client of each policy closes over it (see
// retryPolicy.check).
type retryPolicy int

const (
	// retrySafe: the request may be sent twice (client_credentials,
	// password, device polling, revocation).
	retrySafe retryPolicy = iota
	// retryUnsent: the request carries a one-time credential
	// (authorization code, rotating refresh token); it is retried only
	// when it provably never reached the server.
	retryUnsent
)

// newDefaultHTTPClient builds the client of a Config without an
// HTTPClient: pooled connections and a per-attempt timeout.
func newDefaultHTTPClient() *http.Client {
	return &http.Client{Transport: cleanhttp.DefaultPooledTransport(), Timeout: requestTimeout}
}

// newRetryClient wraps base in a retryablehttp client that follows no
// redirect and retries as policy allows.
func newRetryClient(base *http.Client, policy retryPolicy) *retryablehttp.Client {
	hc := *base // never follow redirects from the authorization server
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &retryablehttp.Client{
		HTTPClient:   &hc,
		RetryWaitMin: retryWaitMin,
		RetryWaitMax: retryWaitMax,
		RetryMax:     maxRetries,
		CheckRetry:   policy.check,
		Backoff:      backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// check is the retryablehttp.CheckRetry of policy p.
func (p retryPolicy) check(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if p == retryUnsent {
			return neverSent(err), nil
		}
		return transient(err), nil
	}
	if p == retryUnsent {
		return false, nil // the server saw it
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		if d, ok := wire.RetryAfter(resp, time.Now()); ok && d > maxRetryAfter {
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
	if d, ok := wire.RetryAfter(resp, time.Now()); ok {
		return d
	}
	d := min << attempt
	if d <= 0 || d > max {
		d = max
	}
	return min + time.Duration(rand.Int64N(int64(d-min)+1))
}
