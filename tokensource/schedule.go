package tokensource

import (
	"math/rand/v2"
	"time"

	"golang.org/x/oauth2"
)

// newEntry schedules tok, obtained at the given time.
func (c *Cached) newEntry(tok *oauth2.Token, obtained time.Time) *entry {
	e := &entry{tok: tok, header: []string{authHeader(tok)}}
	if tok.Expiry.IsZero() {
		return e
	}
	life := max(tok.Expiry.Sub(obtained), 0)
	margin := min(10*time.Second, life/10)
	e.usableTo = tok.Expiry.Add(-margin)
	window := c.set.window
	if c.set.jitter > 0 {
		window += time.Duration(rand.Float64() * c.set.jitter * float64(window))
	}
	window = min(window, life/2)
	e.refreshAt = tok.Expiry.Add(-max(window, margin))
	return e
}

// newSourceEntry schedules tok, just obtained from the source at now. A
// token that arrives (nearly) expired, because of a skewed clock or a slow
// endpoint, is still served for minFresh: renewing it on every call would
// storm the token endpoint. (Tokens from the cache get no such floor: an
// expired cached token is a miss.)
func (c *Cached) newSourceEntry(tok *oauth2.Token, now time.Time) *entry {
	e := c.newEntry(tok, now)
	fresh := minFresh
	if life := tok.Expiry.Sub(now); life > 0 {
		fresh = min(fresh, life/2) // a short-lived token still gets its window
	}
	if floor := now.Add(fresh); !e.refreshAt.IsZero() && e.refreshAt.Before(floor) {
		e.refreshAt = floor
		if e.usableTo.Before(floor) {
			e.usableTo = floor
		}
	}
	return e
}
