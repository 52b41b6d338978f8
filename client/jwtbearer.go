package client

import (
	"context"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/tokensource"
)

// JWTBearerToken obtains a token with the JWT bearer grant (RFC 7523
// section 2.1), trading assertion, a JWT the server trusts (see
// ServiceAccount), for an access token. The client authenticates as for
// any token request when it has credentials; it need not. The request
// is retried like client_credentials, with the same assertion: pass one
// whose jti the server does not check for replay, or use
// JWTBearerSource, which signs a fresh one per renewal.
func (c *Config) JWTBearerToken(ctx context.Context, assertion string, opts ...RequestOption) (*oauth2.Token, error) {
	endpoint, err := c.tokenURL()
	if err != nil {
		return nil, err
	}
	v, err := jwtBearerParams(assertion)
	if err != nil {
		return nil, err
	}
	if s := c.scope(); s != "" {
		v.Set("scope", s)
	}
	return c.token(ctx, &call{op: "jwt-bearer grant", endpoint: "token", url: endpoint, params: apply(v, opts), policy: retrySafe})
}

// JWTBearerSource returns a source that obtains tokens with the JWT
// bearer grant, making a fresh assertion with a for every renewal (a
// *ServiceAccount, or an AssertionFile holding a workload token). Its
// audience is the token endpoint (with Metadata.Issuer when known) unless
// AssertionAudience or the ServiceAccount pins it. opts may be nil.
//
// With opts.Cache, the cache key is opts.CacheKey or, for a
// *ServiceAccount, derived from the token URL, client, scopes and the
// account's Issuer, Subject and Scopes; for any other assertion
// opts.CacheKey is required (the source fails with
// tokensource.ErrNoCacheKey): who a token is for is never read from a
// token.
func (c *Config) JWTBearerSource(a ClientAssertion, opts *tokensource.Options) *tokensource.Cached {
	c.state() // the copy shares what c learns
	cc := *c
	src := &jwtBearerSource{conf: &cc, a: a}
	return tokensource.New(src, cc.bound(keyed(opts, src.cacheKey())))
}

// keyed returns opts with CacheKey set to key when opts has none and key
// is not empty.
func keyed(opts *tokensource.Options, key string) *tokensource.Options {
	if key == "" || opts != nil && opts.CacheKey != "" {
		return opts
	}
	var o tokensource.Options
	if opts != nil {
		o = *opts
	}
	o.CacheKey = key
	return &o
}

type jwtBearerSource struct {
	conf *Config
	a    ClientAssertion
}

func (s *jwtBearerSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if s.a == nil {
		return nil, &ConfigError{Field: "JWT bearer grant", Reason: "has no assertion"}
	}
	tokenURL, err := s.conf.tokenURL()
	if err != nil {
		return nil, err
	}
	assertion, err := s.a.assertion(ctx, assertionRequest{
		ClientID: s.conf.ClientID,
		Audience: assertionAudience(s.conf.AssertionAudience, tokenURL, s.conf.issuer()),
	})
	if err != nil {
		return nil, err
	}
	return s.conf.JWTBearerToken(ctx, assertion)
}

// cacheKey derives a key only from a ServiceAccount's configured
// identity; "" makes a cached source require Options.CacheKey.
func (s *jwtBearerSource) cacheKey() string {
	sa, ok := s.a.(*ServiceAccount)
	if !ok || sa == nil || sa.Issuer == "" {
		return ""
	}
	sub := sa.Subject
	if sub == "" {
		sub = sa.Issuer
	}
	scopes := slices.Clone(sa.Scopes)
	slices.Sort(scopes)
	return cacheKey(s.conf, "jwt-bearer", sa.Issuer+"\n"+sub+"\n"+sa.Audience+"\n"+strings.Join(scopes, " "))
}

// String keeps the key and assertions out of fmt output.
func (s *jwtBearerSource) String() string { return "client.JWTBearerSource(" + s.conf.ClientID + ")" }
