package client

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

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
			if !r.deleted.Load() {
				u.onRef(ctx, r.id, tok)
			}
		}
	}
	r.src = tokensource.New(userRenewer{r}, &o)
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

// Save writes the user's entry unless the user was deleted. Delete marks
// the user deleted before it deletes the entry, and Save checks the mark
// again after writing and undoes its write if it was set meanwhile, so a
// refresh that races Delete never leaves the token behind. A source that
// is no longer resident only updates an entry that still exists.
func (r *user) Save(ctx context.Context, key string, data []byte, expiry time.Time) error {
	if r.deleted.Load() || r.id == "" {
		return errUserDeleted
	}
	if r.evicted.Load() {
		cur, err := r.u.store.Load(ctx, key)
		if err == nil && cur == nil {
			return errUserDeleted
		}
	}
	err := r.u.store.Save(ctx, key, data, expiry)
	if r.deleted.Load() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeUndoTimeout)
		_ = r.u.store.Delete(dctx, key)
		cancel()
		return errUserDeleted
	}
	return err
}

// storeUndoTimeout bounds the Delete that undoes a save racing a sign-out.
const storeUndoTimeout = 5 * time.Second

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
	r, evicted := u.resident.insert(nr)
	if evicted != nil {
		evicted.evicted.Store(true)
	}
	return r
}

// tombstone marks userID deleted and leaves its deleted user resident
// while Delete runs, so that Source serves nothing for them meanwhile.
func (u *UserTokens) tombstone(userID string) *user {
	nr := u.newUser(userID)
	nr.deleted.Store(true)
	r, evicted := u.resident.insert(nr)
	r.deleted.Store(true)
	if evicted != nil {
		evicted.evicted.Store(true)
	}
	return r
}

// bury drops r, a deleted user, once Delete is done.
func (u *UserTokens) bury(r *user) {
	u.resident.remove(r.id, r)
	r.evicted.Store(true)
}

// Resident returns how many users' sources are in memory.
func (u *UserTokens) Resident() int { return u.resident.len() }
