package client

import (
	"context"
	"maps"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/tokensource"
)

// ExchangeToken trades the subject token of req (and its actor token,
// if any) for another token with token exchange (RFC 8693). The client
// authenticates as for any token request; Config.Scopes is sent as
// scope. The token's issued_token_type is kept (see IssuedTokenType); a
// token_type of "N_A" (the issued token is not an access token) is
// accepted and kept as the token's TokenType.
func (c *Config) ExchangeToken(ctx context.Context, req TokenExchange, opts ...RequestOption) (*oauth2.Token, error) {
	endpoint, err := c.tokenURL()
	if err != nil {
		return nil, err
	}
	v, err := req.params()
	if err != nil {
		return nil, err
	}
	if s := c.scope(); s != "" {
		v.Set("scope", s)
	}
	var tok *oauth2.Token
	k := &call{op: "token exchange", endpoint: "token", url: endpoint, params: apply(v, opts), policy: retrySafe}
	k.decode = func(a *answer) (err error) {
		tok, err = exchangedToken(a, time.Now(), c.DefaultExpiresIn, c.checkTokenType)
		return err
	}
	if _, err := c.post(ctx, k); err != nil {
		return nil, err
	}
	return tok, nil
}

// exchangedToken decodes a token exchange answer, whose token_type may
// be N_A (RFC 8693 section 2.2.1).
func exchangedToken(a *answer, now time.Time, defaultLife time.Duration, checkType func(string) error) (*oauth2.Token, error) {
	tt, _ := a.fields["token_type"].(string)
	if !strings.EqualFold(tt, "N_A") {
		return tokenFrom(a, now, defaultLife, checkType)
	}
	b := *a
	b.fields = maps.Clone(a.fields)
	delete(b.fields, "token_type")
	tok, err := tokenFrom(&b, now, defaultLife, checkType)
	if err != nil {
		return nil, err
	}
	tok.TokenType = "N_A"
	return tok.WithExtra(a.fields), nil
}

// IssuedTokenType returns the issued_token_type of a token obtained by
// token exchange (TokenTypeAccessToken, TokenTypeJWT, ...), or "".
func IssuedTokenType(tok *oauth2.Token) string {
	if tok == nil {
		return ""
	}
	s, _ := tok.Extra("issued_token_type").(string)
	return s
}

// TokenExchangeSource returns a source that exchanges the access token
// of subject (a file-backed workload token, another *tokensource.Cached)
// for a token as req describes; req.SubjectToken is ignored and
// req.SubjectTokenType defaults to TokenTypeAccessToken. Every renewal
// asks subject for its current token, so a subject that changed is
// used from then on, and the exchanged token's expiry is capped at the
// subject's: it is renewed when either expires, or when invalidated.
// opts may be nil.
//
// With opts.Cache, the cache key is opts.CacheKey or, when subject is a
// cached source with a key, derived from that key, the token URL,
// client, scopes and req's audiences, resources and token types; else
// opts.CacheKey is required (tokensource.ErrNoCacheKey).
func (c *Config) TokenExchangeSource(subject tokensource.Source, req TokenExchange, opts *tokensource.Options) *tokensource.Cached {
	c.state() // the copy shares what c learns
	cc := *c
	src := &exchangeSource{conf: &cc, subject: subject, req: req}
	return tokensource.New(src, cc.bound(keyed(opts, src.cacheKey())))
}

type exchangeSource struct {
	conf    *Config
	subject tokensource.Source
	req     TokenExchange
}

func (s *exchangeSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if s.subject == nil {
		return nil, &ConfigError{Field: "token exchange", Reason: "has no subject source"}
	}
	st, err := s.subject.TokenContext(ctx)
	if err != nil {
		return nil, err
	}
	if st == nil || st.AccessToken == "" {
		return nil, &ConfigError{Field: "token exchange", Reason: "subject source returned no token"}
	}
	r := s.req
	r.SubjectToken = st.AccessToken
	if r.SubjectTokenType == "" {
		r.SubjectTokenType = TokenTypeAccessToken
	}
	tok, err := s.conf.ExchangeToken(ctx, r)
	if err != nil {
		return nil, err
	}
	if !st.Expiry.IsZero() && (tok.Expiry.IsZero() || st.Expiry.Before(tok.Expiry)) {
		tok.Expiry = st.Expiry // never outlive the subject
	}
	return tok, nil
}

// cacheKey derives a key from the subject source's key, never from a
// token; "" makes a cached source require Options.CacheKey.
func (s *exchangeSource) cacheKey() string {
	k, ok := s.subject.(interface{ Key() string })
	if !ok || k.Key() == "" {
		return ""
	}
	r := s.req
	parts := []string{k.Key(), r.SubjectTokenType, r.ActorTokenType, r.RequestedTokenType,
		strings.Join(r.Audience, " "), strings.Join(r.Resource, " ")}
	if r.ActorToken != "" {
		return "" // an actor token is a token: it names no one stably
	}
	return cacheKey(s.conf, "token-exchange", strings.Join(parts, "\n"))
}

// String keeps the tokens out of fmt output.
func (s *exchangeSource) String() string {
	return "client.TokenExchangeSource(" + s.conf.ClientID + ")"
}
