package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/wire"
	"github.com/tokenward/tokenward/tokensource"
)

// ClientCredentialsSource returns a source that obtains tokens with the
// client_credentials grant and asks again when they expire. opts may be
// nil. Without opts.CacheKey, the key is derived from the
// client's stable identity: token URL, client ID, scopes and parameters.
func (c *Config) ClientCredentialsSource(opts *tokensource.Options) *tokensource.Cached {
	c.state() // the copy shares what c learns
	cc := *c
	return tokensource.New(&ccSource{conf: &cc}, cc.bound(withKey(opts, &cc, "client_credentials", "")))
}

// PasswordSource returns a source that uses the password grant once, then
// the refresh token while it has one, and the password grant again only
// if a refresh is refused with invalid_grant. opts may be nil. Without
// opts.CacheKey, the key is derived from the client's
// identity and the username.
func (c *Config) PasswordSource(username, password string, opts *tokensource.Options) *tokensource.Cached {
	c.state() // the copy shares what c learns
	cc := *c
	return tokensource.New(&passwordSource{conf: &cc, username: username, password: password}, cc.bound(withKey(opts, &cc, "password", username)))
}

// TokenSource returns a source that starts from tok and renews it with
// its refresh token, keeping each rotated refresh token. tok may be nil
// when opts.Cache holds the token; a cached entry wins over tok, which may
// hold an already-rotated refresh token, unless it is for another user
// (tokensource.ErrIdentityMismatch). When a renewal is needed and there
// is no refresh token, TokenContext fails with ErrNoRefreshToken.
//
// With opts.Cache, opts.CacheKey must name whose token this is: nothing
// stable identifies the user otherwise, and without it TokenContext fails
// with tokensource.ErrNoCacheKey. A process that restarts builds the
// source with a nil tok and the same CacheKey and finds the saved token.
func (c *Config) TokenSource(tok *oauth2.Token, opts *tokensource.Options) *tokensource.Cached {
	c.state() // the copy shares what c learns
	cc := *c
	return tokensource.New(&refreshSource{conf: &cc, seed: tok}, c.bound(opts))
}

type ccSource struct{ conf *Config }

func (s *ccSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.conf.ClientCredentialsToken(ctx)
}

type passwordSource struct {
	conf               *Config
	username, password string
}

func (s *passwordSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.Renew(ctx, nil)
}

func (s *passwordSource) Renew(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	if prev != nil && prev.RefreshToken != "" {
		tok, err := s.conf.Refresh(ctx, prev.RefreshToken)
		if err == nil || !wire.IsInvalidGrant(err) {
			return tok, err
		}
	}
	return s.conf.PasswordCredentialsToken(ctx, s.username, s.password)
}

// String keeps the password out of fmt output.
func (s *passwordSource) String() string { return "client.PasswordSource(" + s.conf.ClientID + ")" }

type refreshSource struct {
	conf *Config
	seed *oauth2.Token
}

func (s *refreshSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.Renew(ctx, nil)
}

func (s *refreshSource) Renew(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	if prev == nil {
		prev = s.seed
		if prev != nil && prev.AccessToken != "" && prev.Valid() {
			return prev, nil
		}
	}
	if prev == nil || prev.RefreshToken == "" {
		return nil, ErrNoRefreshToken
	}
	return s.conf.Refresh(ctx, prev.RefreshToken)
}

// Seed returns the starting token, whose identity a cache entry must not
// contradict.
func (s *refreshSource) Seed() *oauth2.Token { return s.seed }

// String keeps the tokens out of fmt output.
func (s *refreshSource) String() string { return "client.TokenSource(" + s.conf.ClientID + ")" }

// withKey returns opts with CacheKey derived from the stable identity of
// c, the grant and the username when opts has no CacheKey.
func withKey(opts *tokensource.Options, c *Config, grant, username string) *tokensource.Options {
	if opts != nil && opts.CacheKey != "" {
		return opts
	}
	var o tokensource.Options
	if opts != nil {
		o = *opts
	}
	o.CacheKey = cacheKey(c, grant, username)
	return &o
}

// cacheKey derives a cache key from the token URL, client ID, sorted
// scopes, grant, subject and extra parameters. It is a hash: no secret or
// username appears in it.
func cacheKey(c *Config, grant, subject string) string {
	scopes := slices.Clone(c.Scopes)
	slices.Sort(scopes)
	parts := map[string]any{
		"token_url": c.endpointURL(endpointToken),
		"client_id": c.ClientID,
		"scopes":    scopes,
		"grant":     grant,
		"subject":   subject,
		"params":    c.Params,
	}
	b, _ := json.Marshal(parts) // map keys are sorted
	sum := sha256.Sum256(b)
	return "tw1-" + hex.EncodeToString(sum[:20])
}
