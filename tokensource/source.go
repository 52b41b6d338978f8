package tokensource

import (
	"context"
	"time"

	"golang.org/x/oauth2"
)

// Source supplies OAuth 2.0 tokens. TokenContext performs whatever I/O is
// needed to obtain a token and must honour ctx.
type Source interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// Renewer is a Source that obtains a new token from the previous one, as
// the refresh_token grant does. When the Source given to [New] implements
// Renewer, [Cached] calls Renew instead of TokenContext and passes the
// newest token it knows (from memory or from its cache), or nil when it
// knows none. Renew must not modify prev.
type Renewer interface {
	Source
	Renew(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error)
}

// Cache stores encoded tokens. The bytes are opaque to the cache;
// tokensource owns their encoding. Implementations must be safe for
// concurrent use.
type Cache interface {
	// Load returns the bytes stored under key, or (nil, nil) when there
	// are none.
	Load(ctx context.Context, key string) ([]byte, error)
	// Save stores data under key. expiry is when the entry may be
	// dropped: the access token's expiry when there is no refresh token,
	// zero (keep) when there is one, unless the server said how long the
	// refresh token lives. A cache must never drop a usable refresh token.
	Save(ctx context.Context, key string, data []byte, expiry time.Time) error
	// Delete removes the entry for key; deleting a missing key is not an
	// error.
	Delete(ctx context.Context, key string) error
}

// Locker is implemented by caches that can coordinate refreshes across
// processes. Lock blocks until it holds the lock for key or ctx is done;
// the lock expires by itself after ttl (a ttl of zero or less means
// DefaultLockTTL) so that a crashed holder cannot wedge the others; a
// Cached sizes ttl from its refresh budget and stops the guarded refresh
// when the lease ends. unlock releases it and is safe to call more than
// once.
type Locker interface {
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)
}

// FromOAuth2 adapts an oauth2.TokenSource to a Source. The context passed
// to TokenContext cannot reach ts; prefer sources that take one.
func FromOAuth2(ts oauth2.TokenSource) Source {
	return oauth2Source{ts}
}

type oauth2Source struct{ ts oauth2.TokenSource }

func (s oauth2Source) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.ts.Token()
}
