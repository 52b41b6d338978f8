package client

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/record"
	"github.com/tokenward/tokenward/internal/wire"
	"github.com/tokenward/tokenward/tokensource"
)

// user is one user's source in a UserTokens, and the store that source
// sees: every store call for the user goes through it, so that a deleted
// user's token is never saved again. It is also the user's node in the
// LRU list.
type user struct {
	u       *UserTokens
	id, key string
	src     *tokensource.Cached

	prev, next *user       // in the residents list, guarded by its mutex
	ref        atomic.Bool // used since it last reached the list's tail

	deleted atomic.Bool // Delete was called: serve nothing, save nothing
	evicted atomic.Bool // no longer resident: another source may be current
	last    atomic.Pointer[loadResult]
	base    atomic.Pointer[[sha256.Size]byte] // hash of the refresh token this source's token descends from
	refused atomic.Bool                       // the last Save was refused: the user was deleted or signed in since
}

// loadResult is what the last Load of the user's key found.
type loadResult struct {
	absent bool
	err    error
}

var (
	loadedPresent = &loadResult{}
	loadedAbsent  = &loadResult{absent: true}
)

// errUserDeleted is what a deleted user's source gets from its store's
// Save; the source logs it and saves nothing.
var errUserDeleted = errors.New("client: user tokens: user deleted; not saving their token")

// newUser builds userID's source. It does no I/O.
func (u *UserTokens) newUser(userID string) *user {
	r := &user{u: u, id: userID, key: u.Key(userID)}
	o := u.opts
	o.CacheKey = r.key
	if u.locker != nil {
		o.Cache = lockingUser{r}
	} else {
		o.Cache = r
	}
	if u.onRef != nil {
		o.OnRefresh = func(ctx context.Context, tok *oauth2.Token) {
			if !r.deleted.Load() && !r.refused.Load() {
				u.onRef(ctx, r.id, tok)
			}
		}
	}
	r.src = tokensource.New(userRenewer{r}, u.conf.bound(&o)) // DPoP key and certificate binding, as the Config's other sources
	return r
}

// signIn is the error for a user who must sign in, caused by err.
func (r *user) signIn(err error) error {
	return &UserTokenError{UserID: r.id, Err: err, signIn: true}
}

// Load reads the user's entry and remembers what it found, which the
// renewal that follows it reads. A deleted user has none.
func (r *user) Load(ctx context.Context, key string) ([]byte, error) {
	if r.deleted.Load() || r.id == "" {
		r.last.Store(loadedAbsent)
		return nil, nil
	}
	data, err := r.u.store.Load(ctx, key)
	switch {
	case err != nil:
		r.last.Store(&loadResult{err: err})
	case data == nil:
		r.last.Store(loadedAbsent)
	default:
		r.last.Store(loadedPresent)
	}
	return data, err
}

// Save writes the user's entry unless the user was deleted, or signed in
// again since this source's token was obtained. It takes the user's turn
// (see turns), so it never interleaves with UserTokens.Save or Delete's
// removal of the entry: a source that Delete marked deleted, or that Save
// or eviction made non-resident, checks that under the turn. A
// non-resident source (evicted, or replaced by a sign-in) writes only over
// an entry that holds the refresh token its own token descends from, so
// that no token of a deleted user is written after Delete's store
// removal, and no held source overwrites a newer sign-in with a token of
// the older grant (whatever version its record carries). OnRefresh is
// not called for a token whose save was refused.
func (r *user) Save(ctx context.Context, key string, data []byte, expiry time.Time) error {
	if r.deleted.Load() || r.id == "" {
		return errUserDeleted
	}
	rec, err := record.Decode(data)
	if err != nil {
		return err
	}
	release, err := r.u.turns.take(ctx, r.id)
	if err != nil {
		return err
	}
	defer release()
	if r.deleted.Load() {
		return errUserDeleted
	}
	if r.evicted.Load() {
		cur, err := r.u.store.Load(ctx, key)
		if err != nil {
			return err
		}
		if cur == nil {
			r.refused.Store(true)
			return errUserDeleted
		}
		if crec, err := record.Decode(cur); err != nil || !r.descends(crec.Token) {
			r.refused.Store(true)
			return errUserSuperseded
		}
	}
	if err := r.u.store.Save(ctx, key, data, expiry); err != nil {
		return err
	}
	r.refused.Store(false)
	r.from(rec.Token)
	return nil
}

// errUserSuperseded is what a non-resident source gets from its store's
// Save when the entry holds another grant than the source's token (a
// sign-in since, or another source's rotation): the entry is kept.
var errUserSuperseded = errors.New("client: user tokens: the stored token is not the one this source renewed; not overwriting it")

// from records tok's refresh token as the one this source's token
// descends from.
func (r *user) from(tok *oauth2.Token) {
	h := sha256.Sum256([]byte(tok.RefreshToken))
	r.base.Store(&h)
}

// descends reports whether tok holds the refresh token this source's
// token descends from.
func (r *user) descends(tok *oauth2.Token) bool {
	h := r.base.Load()
	return h != nil && tok != nil && tok.RefreshToken != "" && *h == sha256.Sum256([]byte(tok.RefreshToken))
}

// Delete removes the user's entry.
func (r *user) Delete(ctx context.Context, key string) error {
	return r.u.store.Delete(ctx, key)
}

// lockingUser is the store of a user whose UserTokens store is a Locker.
type lockingUser struct{ *user }

// Lock takes the store's lock on the user's key.
func (l lockingUser) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	return l.u.locker.Lock(ctx, key, ttl)
}

// userRenewer renews a user's token with its refresh token. The token it
// starts from is the store's: a user who has none, or was deleted, must
// sign in.
type userRenewer struct{ r *user }

func (s userRenewer) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.Renew(ctx, nil)
}

// Renew refreshes prev, which the source read from the store just before
// (or holds in memory, when the store failed).
func (s userRenewer) Renew(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	r := s.r
	if r.id == "" {
		return nil, errEmptyUserID
	}
	if r.deleted.Load() {
		return nil, r.signIn(ErrNoUserToken)
	}
	last := r.last.Load()
	switch {
	case last != nil && last.absent:
		// Deleted, here or by another process: never renew from memory.
		return nil, r.signIn(ErrNoUserToken)
	case prev == nil && last != nil && last.err != nil:
		return nil, &UserTokenError{UserID: r.id, Err: fmt.Errorf("client: user tokens: token store: %w", last.err)}
	case prev == nil:
		return nil, r.signIn(ErrNoUserToken)
	case prev.RefreshToken == "":
		return nil, r.signIn(ErrNoRefreshToken)
	}
	r.from(prev) // what the token this refresh obtains descends from
	tok, err := r.u.conf.Refresh(ctx, prev.RefreshToken)
	if err != nil {
		if wire.IsInvalidGrant(err) {
			return nil, r.signIn(err)
		}
		return nil, err
	}
	if r.deleted.Load() {
		// Signed out while the refresh was in flight: the new grant is
		// revoked, not kept.
		if r.u.conf.RevocationURL != "" {
			_ = r.u.revoke(ctx, tok)
		}
		return nil, r.signIn(ErrNoUserToken)
	}
	return tok, nil
}

// get returns userID's resident user, building it if needed. The build
// happens outside any lock; when two callers race, the first to insert
// wins and both get its user.
func (u *UserTokens) get(userID string) *user {
	if r := u.resident.lookup(userID); r != nil {
		return r
	}
	nr := u.newUser(userID)
	if userID == "" {
		return nr
	}
	r, _ := u.resident.insert(nr)
	return r
}

// tombstone marks userID deleted and leaves its deleted user resident
// while Delete runs, so that Source serves nothing for them meanwhile.
func (u *UserTokens) tombstone(userID string) *user {
	nr := u.newUser(userID)
	nr.deleted.Store(true)
	r, _ := u.resident.insert(nr)
	r.deleted.Store(true)
	return r
}

// bury drops r, a deleted user, once Delete is done.
func (u *UserTokens) bury(r *user) {
	u.resident.remove(r.id, r)
}

// Resident returns how many users' sources are in memory.
func (u *UserTokens) Resident() int { return u.resident.len() }
