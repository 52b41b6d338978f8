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
// nil.
func (c *Config) ClientCredentialsSource(opts *tokensource.Options) *tokensource.Cached {
	c.state() // the copy shares what c learns
	cc := *c
	return tokensource.New(&ccSource{conf: &cc}, c.bound(opts))
}

// PasswordSource returns a source that uses the password grant once, then
// the refresh token while it has one, and the password grant again only
// if a refresh is refused with invalid_grant. opts may be nil.
func (c *Config) PasswordSource(username, password string, opts *tokensource.Options) *tokensource.Cached {
	c.state() // the copy shares what c learns
	cc := *c
	return tokensource.New(&passwordSource{conf: &cc, username: username, password: password}, c.bound(opts))
}

// TokenSource returns a source that starts from tok and renews it with
// its refresh token, keeping each rotated refresh token. tok may be nil
// when opts.Cache holds the token; a cached entry wins over tok, which may
// hold an already-rotated refresh token. When a renewal is needed and
// there is no refresh token, TokenContext fails with ErrNoRefreshToken.
func (c *Config) TokenSource(tok *oauth2.Token, opts *tokensource.Options) *tokensource.Cached {
	c.state() // the copy shares what c learns
	cc := *c
	return tokensource.New(&refreshSource{conf: &cc, seed: tok}, c.bound(opts))
}

type ccSource struct{ conf *Config }

func (s *ccSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.conf.ClientCredentialsToken(ctx)
}

func (s *ccSource) CacheKey() string { return cacheKey(s.conf, "client_credentials", "") }

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

func (s *passwordSource) CacheKey() string { return cacheKey(s.conf, "password", s.username) }

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

func (s *refreshSource) CacheKey() string {
	return cacheKey(s.conf, "refresh_token", idTokenSubject(s.seed))
}

// String keeps the tokens out of fmt output.
func (s *refreshSource) String() string { return "client.TokenSource(" + s.conf.ClientID + ")" }

// cacheKey derives a cache key from the token URL, client ID, sorted
// scopes, grant, subject and extra parameters. It is a hash: no secret or
// username appears in it.
func cacheKey(c *Config, grant, subject string) string {
	scopes := slices.Clone(c.Scopes)
	slices.Sort(scopes)
	parts := map[string]any{
		"token_url": c.Endpoint.TokenURL,
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

// idTokenSubject returns the sub claim of tok's id_token, which names
// the user across refresh token rotations, or "".
func idTokenSubject(tok *oauth2.Token) string {
	if tok == nil {
		return ""
	}
	idt, _ := tok.Extra("id_token").(string)
	var claims struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
	}
	if !jwtClaims(idt, 0, &claims) || claims.Sub == "" {
		return ""
	}
	return claims.Iss + " " + claims.Sub
}
