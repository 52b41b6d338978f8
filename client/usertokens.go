package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/record"
	"github.com/tokenward/tokenward/tokensource"
)

// DefaultMaxResident is how many users' sources a [UserTokens] keeps in
// memory when UserTokensOptions.MaxResident is zero.
const DefaultMaxResident = 10000

// UserTokensOptions configures a [UserTokens]. A nil *UserTokensOptions
// means all defaults.
type UserTokensOptions struct {
	// Options is what every user's source gets. Its Cache is replaced by
	// the store given to Config.UserTokens and its CacheKey by the user's
	// key; its OnRefresh is ignored (use OnRefresh below).
	Options tokensource.Options

	// MaxResident is how many users' sources stay in memory, least
	// recently used first out (DefaultMaxResident when zero or negative).
	// The store keeps every user; an evicted user's source is rebuilt
	// from it on the next call, and the evicted one can be collected at
	// once.
	MaxResident int

	// OnRefresh, if set, is called with every token obtained for a user
	// by a refresh, with that user's ID, after the token is saved to the
	// store and before it is served. It is not called for a user who was
	// deleted while the refresh was in flight. It runs on the refresh
	// path: keep it short.
	OnRefresh func(ctx context.Context, userID string, tok *oauth2.Token)
}

// UserTokens keeps the tokens of many users of one client: a web app or a
// multi-tenant service that signs users in with the authorization code
// flow and then calls APIs on their behalf. Each user's token lives in a
// store under a key derived from the client and the user ID (hashed;
// never from token contents), and each user gets a [tokensource.Cached]
// that renews it. The sources of the most recently used users stay in
// memory (UserTokensOptions.MaxResident of them, evicted about least
// recently used first); the others are rebuilt from the store when needed.
//
// A UserTokens is safe for concurrent use. Create one with
// [Config.UserTokens].
type UserTokens struct {
	conf   *Config
	store  tokensource.Cache
	locker tokensource.Locker // store as a Locker, or nil
	opts   tokensource.Options
	onRef  func(ctx context.Context, userID string, tok *oauth2.Token)
	prefix []byte // of every key's hash: the domain and the client identity

	resident residents
	turns    turns // serialise each user's store writes
}

// UserTokens returns a manager of per-user tokens kept in store (a
// tokensource.Cache: cache.Memory in tests, cache/sqlcache or
// cache/rediscache in production, under cache.NewSealed for encryption at
// rest). opts may be nil. The Config is copied.
//
// A store shared by several processes should be a tokensource.Locker, so
// that one process renews a user's token at a time and a sign-out in one
// process waits for a refresh in flight in another.
func (c *Config) UserTokens(store tokensource.Cache, opts *UserTokensOptions) *UserTokens {
	cc := *c
	u := &UserTokens{conf: &cc, store: store}
	u.resident.max = DefaultMaxResident
	u.locker, _ = store.(tokensource.Locker)
	if opts != nil {
		u.opts = opts.Options
		u.onRef = opts.OnRefresh
		if opts.MaxResident > 0 {
			u.resident.max = opts.MaxResident
		}
	}
	u.opts.OnRefresh = nil
	id, _ := json.Marshal(map[string]string{"token_url": cc.Endpoint.TokenURL, "client_id": cc.ClientID})
	u.prefix = append([]byte("tokenward/usertokens/v1\x00"), id...)
	return u
}

// ErrNoUserToken is matched (errors.Is) by the error of a user's source
// when the user has no usable token: none was saved, the user was
// deleted, or the token expired and cannot be renewed (no refresh token,
// or the server refused it). The app should send the user to sign in.
var ErrNoUserToken = errors.New("client: no usable token for this user; they must sign in")

// errEmptyUserID is the error of every call made with an empty user ID.
var errEmptyUserID = errors.New("client: user tokens: empty user ID")

// UserTokenError is the error of a user's source when it has no token to
// serve. It matches ErrNoUserToken when the user must sign in; otherwise
// (the store failed, for a user whose source was not in memory) it does
// not, and the same call may succeed later. The message holds neither the
// user ID nor any token.
type UserTokenError struct {
	// UserID is whose token is missing.
	UserID string
	// Err is the cause: ErrNoUserToken, ErrNoRefreshToken, the server's
	// *oauth2.RetrieveError (invalid_grant), or the store's error.
	Err error

	signIn bool
}

// Error describes the cause.
func (e *UserTokenError) Error() string {
	if e.Err == nil || e.Err == ErrNoUserToken {
		return ErrNoUserToken.Error()
	}
	if e.signIn {
		return "client: user must sign in again: " + e.Err.Error()
	}
	return "client: user token unavailable: " + e.Err.Error()
}

// Unwrap returns the cause, and ErrNoUserToken when the user must sign in.
func (e *UserTokenError) Unwrap() []error {
	if e.signIn && e.Err != ErrNoUserToken {
		return []error{ErrNoUserToken, e.Err}
	}
	return []error{e.Err}
}

// Key returns the store key of userID's token: a hash of the client's
// identity (token URL and client ID) and the user ID, so that neither the
// user ID nor any token appears in the store's keys.
func (u *UserTokens) Key(userID string) string {
	h := sha256.New()
	h.Write(u.prefix)
	h.Write([]byte{0})
	h.Write([]byte(userID))
	return "twu1-" + hex.EncodeToString(h.Sum(nil)[:20])
}

// Save stores tok, obtained for userID by a sign-in (Config.Exchange),
// and returns once the store has it. The user's source, if in memory, is
// replaced so that the next call serves tok.
//
// Save and Delete for one user are serialised: each takes the user's turn
// (in this UserTokens) across its store calls, and the one that takes it
// later wins. A Save that starts after Delete returned always persists
// and signs the user in again; a source obtained before it (even one
// evicted and still held by a caller) never overwrites tok with a token
// of the older grant. Save waits for the turn at most until ctx ends; the
// turn is never held across a token request or a revocation, only across
// another call's store I/O.
func (u *UserTokens) Save(ctx context.Context, userID string, tok *oauth2.Token) error {
	if userID == "" {
		return errEmptyUserID
	}
	if tok == nil || tok.AccessToken == "" && tok.RefreshToken == "" {
		return errors.New("client: user tokens: empty token")
	}
	release, err := u.turns.take(ctx, userID)
	if err != nil {
		return fmt.Errorf("client: user tokens: saving the token: %w", err)
	}
	defer release()
	if err := tokensource.Save(ctx, u.store, u.Key(userID), tok); err != nil {
		return fmt.Errorf("client: user tokens: saving the token: %w", err)
	}
	u.resident.remove(userID, nil) // marks it evicted: it no longer overwrites the entry
	return nil
}

// Source returns userID's source, from memory or built anew from the
// store. It does no I/O: the store is read when a token is first needed.
// When the user has no usable token, the source's error matches
// ErrNoUserToken.
//
// The source stays valid while the user is resident; call Source (or use
// Client) for each use rather than keeping it, so that an evicted user's
// source can be collected and a deleted user's cannot be used.
func (u *UserTokens) Source(userID string) *tokensource.Cached {
	return u.get(userID).src
}

// Client returns an HTTP client that authorizes its requests as userID.
// Each request takes the user's current source, so the client may be
// kept across evictions and sign-ins; after Delete, its requests fail
// with an error matching ErrNoUserToken. A 401 invalid_token answer is
// retried once with a renewed token.
func (u *UserTokens) Client(userID string) *http.Client {
	var base http.RoundTripper
	if u.conf.MTLS && u.conf.HTTPClient != nil {
		base = u.conf.HTTPClient.Transport // certificate-bound tokens go with their certificate
	}
	hc := tokensource.NewClientWithBase(&userSource{u: u, id: userID}, base)
	if u.conf.DPoP != nil {
		hc.Transport.(*tokensource.Transport).DPoP = u.conf.DPoP
	}
	return hc
}

// userSource is the Source of a Client: userID's current source.
type userSource struct {
	u  *UserTokens
	id string
}

func (s *userSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.u.Source(s.id).TokenContext(ctx)
}

// Invalidate reports a rejected token to the user's source.
func (s *userSource) Invalidate(tok *oauth2.Token) { s.u.Source(s.id).Invalidate(tok) }

// Delete signs userID out: it deletes the user's token from the store,
// drops the user's source and then, when Config.RevocationURL is set,
// revokes the deleted token's refresh token (or, with none, its access
// token). From the moment Delete is called, the user's source serves
// nothing, a refresh in flight for the user saves nothing (a token it
// obtained is revoked instead), and OnRefresh is not called for them.
//
// Delete and Save for one user are serialised (see Save): Delete takes
// the user's turn only to read the token it will revoke and to delete
// it, so the revocation, a network call bounded by ctx, never delays a
// concurrent Save; a Save that takes the turn after Delete persists.
// Once Delete's store removal is done, no source of this UserTokens
// writes a token for the user again until a Save signs them in.
//
// A revocation that fails does not stop the sign-out: the token is
// already deleted from the store (the user asked to be signed out;
// keeping the token would keep acting for them), and Delete returns an
// error wrapping the revocation's so that the app can log it. An error
// from the store's Delete is returned as is; nothing is revoked, the user
// is then still stored and Delete may be called again.
//
// With a store that is a tokensource.Locker, Delete holds the user's lock
// while it deletes and revokes, so a refresh in flight in another process
// ends first and Delete revokes the newest refresh token. It waits at most
// half the lock's TTL (Options.LockTTL) for the lock, without holding the
// user's turn, and then goes on without it; the work it guards ends before
// the lease does.
func (u *UserTokens) Delete(ctx context.Context, userID string) error {
	if userID == "" {
		return errEmptyUserID
	}
	defer u.bury(u.tombstone(userID)) // serve nothing from now on

	if u.locker != nil {
		lctx, cancel := context.WithTimeout(ctx, u.lockTTL()/2)
		unlock, err := u.locker.Lock(lctx, u.Key(userID), u.lockTTL())
		cancel()
		if err == nil {
			defer unlock()
			// The guarded work ends before the lease does.
			var gcancel context.CancelFunc
			ctx, gcancel = context.WithTimeout(ctx, u.lockTTL()/2)
			defer gcancel()
		}
	}

	tok, err := u.remove(ctx, userID)
	if err != nil {
		return err
	}
	if tok != nil {
		if err := u.revoke(ctx, tok); err != nil {
			return fmt.Errorf("client: user tokens: deleted locally, but revocation failed: %w", err)
		}
	}
	return nil
}

// remove deletes userID's token from the store in the user's turn, marks
// the user's resident source deleted and drops it. It returns the deleted
// token when it is to be revoked.
func (u *UserTokens) remove(ctx context.Context, userID string) (*oauth2.Token, error) {
	release, err := u.turns.take(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("client: user tokens: deleting the token: %w", err)
	}
	defer release()
	r := u.tombstone(userID) // a Save since the first one may have replaced it
	defer u.bury(r)
	var tok *oauth2.Token
	if u.conf.RevocationURL != "" {
		data, err := u.store.Load(ctx, r.key)
		if err == nil && data != nil {
			if rec, derr := record.Decode(data); derr == nil {
				tok = rec.Token
			}
		}
	}
	if err := u.store.Delete(ctx, r.key); err != nil {
		return nil, fmt.Errorf("client: user tokens: deleting the token: %w", err)
	}
	return tok, nil
}

// revoke revokes tok's refresh token, or its access token when it has no
// refresh token.
func (u *UserTokens) revoke(ctx context.Context, tok *oauth2.Token) error {
	if tok.RefreshToken != "" {
		return u.conf.Revoke(ctx, tok.RefreshToken, "refresh_token")
	}
	if tok.AccessToken != "" {
		return u.conf.Revoke(ctx, tok.AccessToken, "access_token")
	}
	return nil
}

// lockTTL is the lease Delete takes on a Locker store.
func (u *UserTokens) lockTTL() time.Duration {
	if u.opts.LockTTL > 0 {
		return u.opts.LockTTL
	}
	return tokensource.DefaultLockTTL
}
