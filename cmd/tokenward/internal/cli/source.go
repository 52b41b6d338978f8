package cli

import (
	"context"
	"sync"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/tokensource"
)

// clientConfig builds the client.Config of a profile: it discovers the
// endpoints when the profile names an issuer and reads the client secret
// from the keychain.
func (a *App) clientConfig(ctx context.Context, name string, p *Profile) (*client.Config, *Profile, error) {
	hc := a.httpClient()
	rp, err := resolveEndpoints(ctx, hc, p)
	if err != nil {
		return nil, nil, &Error{Code: ExitNetwork, Profile: name, What: trimPrefix(err.Error()), Err: err,
			Hint: "check the issuer with 'tokenward profile show " + shellQuote(name) + "'"}
	}
	secret, err := a.clientSecret(ctx, name, p)
	if err != nil {
		return nil, nil, err
	}
	return &client.Config{
		ClientID:     p.ClientID,
		ClientSecret: secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:       rp.AuthURL,
			TokenURL:      rp.TokenURL,
			DeviceAuthURL: rp.DeviceAuthURL,
			AuthStyle:     p.authStyle(),
		},
		PARURL:     rp.parURL,
		Scopes:     p.Scopes,
		BodyFormat: p.bodyFormat(),
		Params:     p.params(),
		HTTPClient: hc,
	}, rp, nil
}

// profileSource is the tokensource.Source behind 'tokenward token': it
// builds the client configuration (discovery, keychain secret) only when
// a token must be fetched, so a cached token costs no network request.
// Client-credentials profiles ask the token endpoint; user-grant profiles
// renew with the refresh token that 'tokenward login' stored.
type profileSource struct {
	app  *App
	name string
	prof *Profile

	once sync.Once
	conf *client.Config
	err  error
}

// config builds the client configuration once.
func (s *profileSource) config(ctx context.Context) (*client.Config, error) {
	s.once.Do(func() { s.conf, _, s.err = s.app.clientConfig(ctx, s.name, s.prof) })
	return s.conf, s.err
}

// TokenContext obtains a token without a previous one.
func (s *profileSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.Renew(ctx, nil)
}

// Renew obtains a new token, from prev's refresh token for user grants.
func (s *profileSource) Renew(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	if s.prof.userGrant() && (prev == nil || prev.RefreshToken == "") {
		return nil, errNotLoggedIn
	}
	conf, err := s.config(ctx)
	if err != nil {
		return nil, err
	}
	var tok *oauth2.Token
	if !s.prof.userGrant() {
		tok, err = conf.ClientCredentialsToken(ctx)
	} else {
		tok, err = conf.Refresh(ctx, prev.RefreshToken)
	}
	return tok, at("the token endpoint", "--token-url", conf.Endpoint.TokenURL, err)
}

// tokenSource returns the cached, self-renewing token source of a
// profile, backed by the keychain.
func (a *App) tokenSource(name string, p *Profile) *tokensource.Cached {
	return tokensource.New(&profileSource{app: a, name: name, prof: p}, &tokensource.Options{
		Cache:    a.store(),
		CacheKey: tokenKey(name),
		Logger:   a.logger(),
	})
}

// saveToken stores a token obtained by a login as the profile's cache
// entry, where the profile's token source finds it.
func (a *App) saveToken(ctx context.Context, name string, tok *oauth2.Token) error {
	if err := saveRecord(ctx, a.store(), tokenKey(name), tok); err != nil {
		return keychainError(name, "cannot store the token", err)
	}
	return nil
}

// loadToken returns the profile's stored token, or nil when there is none.
func (a *App) loadToken(ctx context.Context, name string) (*oauth2.Token, error) {
	data, err := a.store().Load(ctx, tokenKey(name))
	if err != nil {
		return nil, keychainError(name, "cannot read the token", err)
	}
	if data == nil {
		return nil, nil
	}
	tok, err := decodeRecord(data)
	if err != nil {
		return nil, nil // a corrupt entry is a miss, as in tokensource
	}
	return tok, nil
}
