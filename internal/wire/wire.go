package wire

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// MaxRetryAfter caps every Retry-After: a server asking for more is
// treated as asking for this long.
const MaxRetryAfter = 24 * time.Hour

// MaxExpiresIn is the longest expires_in, in seconds, that a token
// response may carry (ten years); more is a broken server, not a
// long-lived token.
const MaxExpiresIn = 10 * 365 * 24 * 3600

// RetryAfter returns the Retry-After of a 429 or 5xx response: delay
// seconds (a non-negative integer) or an HTTP date, measured from now,
// capped at MaxRetryAfter. ok is false for other statuses and for an
// absent or malformed header.
func RetryAfter(resp *http.Response, now time.Time) (d time.Duration, ok bool) {
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
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
		return time.Duration(min(secs, int64(MaxRetryAfter/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), MaxRetryAfter), true
	}
	return 0, false
}

// ErrorRetryAfter is RetryAfter of the response behind an
// *oauth2.RetrieveError in err's chain.
func ErrorRetryAfter(err error, now time.Time) (time.Duration, bool) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return 0, false
	}
	return RetryAfter(re.Response, now)
}

// IsInvalidGrant reports whether err is (or wraps) an RFC 6749
// invalid_grant answer: the grant, typically a refresh token, is no
// longer usable and asking again with it is pointless.
func IsInvalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// IsLoopback reports whether host (without a port) is localhost or a
// loopback IP: the one place plain http is allowed for a credential.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
