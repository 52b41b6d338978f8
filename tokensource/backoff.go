package tokensource

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tokenward/tokenward/internal/wire"
)

// fail records a failed refresh and schedules the next attempt.
func (c *Cached) fail(err error, now time.Time) {
	c.mu.Lock()
	c.failures++
	c.lastErr = err
	n := c.failures
	c.mu.Unlock()
	e := c.cur.Load()
	serving := e != nil && !e.invalid && e.usable(now)
	// With a valid token to serve, back off up to a minute; without one,
	// callers fail until the next try, so try again within seconds.
	limit := maxBackoffServing
	if !serving {
		limit = maxBackoffFailing
	}
	d := backoff(n, limit)
	if ra, ok := serverRetryAfter(err); ok {
		d = min(max(ra, d/2), time.Minute) // the server knows best, within reason
	}
	c.nextTry.Store(now.Add(d).UnixNano())
	attrs := []any{"cache.key_hash", c.keyHash, "failures", n, "retry_in", d, "err", err}
	if serving {
		c.opts.logger().Warn("tokensource: refresh failed; serving the current token until it expires", attrs...)
		return
	}
	// The callers waiting get the error; a warning would say it twice.
	c.opts.logger().Debug("tokensource: refresh failed", attrs...)
}

// succeed records a successful refresh; scheduled tells whether it was
// not caused by an invalidation (which ends a run of rejected tokens).
func (c *Cached) succeed(scheduled bool) {
	c.mu.Lock()
	c.failures = 0
	c.lastErr = nil
	c.mu.Unlock()
	if scheduled {
		c.rejected.Store(0)
	}
	c.nextTry.Store(0)
}

// Backoff limits after failed refreshes.
const (
	maxBackoffServing = time.Minute     // while a valid token is served
	maxBackoffFailing = 8 * time.Second // while callers get errors
)

// backoff is the pause after n consecutive failures: 1s doubling up to
// limit, with up to 20% jitter.
func backoff(n int, limit time.Duration) time.Duration {
	d := min(time.Second<<min(n-1, 6), limit)
	return d + time.Duration(rand.Float64()*0.2*float64(d))
}

// serverRetryAfter returns the Retry-After of the 429 or 5xx response
// behind err (seconds or an HTTP date, capped by wire.MaxRetryAfter), if
// any.
func serverRetryAfter(err error) (time.Duration, bool) {
	return wire.ErrorRetryAfter(err, time.Now())
}

// RefreshError is returned when no valid token is available because
// recent refreshes failed and the next attempt is not due yet. Err is the
// last failure; RetryAt is when the next attempt is due (zero if unknown).
type RefreshError struct {
	Err     error
	RetryAt time.Time
}

func (e *RefreshError) Error() string {
	return fmt.Sprintf("tokensource: token refresh failed recently, backing off: %v", e.Err)
}

func (e *RefreshError) Unwrap() error { return e.Err }
