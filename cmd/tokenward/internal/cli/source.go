package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"sync"

	"github.com/hashicorp/go-cleanhttp"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/tokensource"
)

// clientConfig builds the client.Config of a profile: it discovers the
// endpoints when the profile names an issuer, reads the client secret
// from the store, and loads the profile's private key, assertion file,
// client certificate and DPoP key.
func (a *App) clientConfig(ctx context.Context, name string, p *Profile) (*client.Config, *Profile, error) {
	base, err := a.profileTransport(name, p)
	if err != nil {
		return nil, nil, err
	}
	hc := &http.Client{Transport: base, Timeout: httpTimeout}
	rp, md, err := resolveEndpoints(ctx, hc, p)
	if err != nil {
		return nil, nil, &Error{Code: ExitNetwork, Profile: name, What: trimPrefix(err.Error()), Err: err,
			Hint: "check the issuer with 'tokenward profile show " + shellQuote(name) + "'"}
	}
	secret, err := a.clientSecret(ctx, name, p)
	if err != nil {
		return nil, nil, err
	}
	conf := &client.Config{
		ClientID:     p.ClientID,
		ClientSecret: secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:       rp.AuthURL,
			TokenURL:      rp.TokenURL,
			DeviceAuthURL: rp.DeviceAuthURL,
			AuthStyle:     p.authStyle(),
		},
		Scopes:     p.Scopes,
		BodyFormat: p.bodyFormat(),
		Params:     p.params(),
		HTTPClient: hc,
	}
	// The metadata picks the client authentication under auto-detection
	// and supplies the introspection and PAR endpoints.
	conf.Metadata = md
	if err := a.applyCredentials(ctx, name, p, conf); err != nil {
		return nil, nil, err
	}
	return conf, rp, nil
}

// applyCredentials sets the profile's client assertion (private key or
// assertion file), mutual-TLS client authentication and DPoP key on conf.
func (a *App) applyCredentials(ctx context.Context, name string, p *Profile, conf *client.Config) error {
	switch {
	case p.PrivateKey != "":
		key, err := loadPrivateKey(p.PrivateKey)
		if err != nil {
			return configError(name, err.Error(), "fix the file or re-add the profile with 'tokenward profile add "+shellQuote(name)+" --force --private-key ...'")
		}
		conf.ClientAssertion = client.PrivateKeyJWT(key, p.KeyID)
	case p.AssertionFile != "":
		conf.ClientAssertion = client.AssertionFile(p.AssertionFile)
	}
	// The TLS client certificate is presented by conf.HTTPClient (see
	// profileTransport).
	conf.MTLS = p.ClientCert != ""
	k, err := a.dpopKey(ctx, name, p)
	if err != nil {
		return err
	}
	conf.DPoP = k
	return nil
}

// profileTransport returns the base transport of a profile's requests:
// the pooled transport, presenting the profile's TLS client certificate
// (RFC 8705) when it has one, logged with --verbose. The certificate is
// given through GetClientCertificate, so that it is sent even when the
// server names no acceptable CA (a self-signed certificate).
func (a *App) profileTransport(name string, p *Profile) (http.RoundTripper, error) {
	t := cleanhttp.DefaultPooledTransport()
	if p.ClientCert != "" {
		cert, err := loadClientCertificate(p.ClientCert, p.ClientKey)
		if err != nil {
			return nil, configError(name, err.Error(), "fix the files or re-add the profile with --client-cert and --client-key")
		}
		t.TLSClientConfig = &tls.Config{
			MinVersion:           tls.VersionTLS12,
			RootCAs:              a.RootCAs,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil },
		}
	}
	var rt http.RoundTripper = t
	if a.verbose {
		rt = &LoggingTransport{Base: rt, W: a.Err}
	}
	return rt, nil
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
	switch {
	case s.prof.Grant == GrantTokenExchange:
		tok, err = s.app.exchange(ctx, conf, s.name, s.prof)
		var e *Error
		if errors.As(err, &e) {
			return nil, e // the subject token, not the token endpoint
		}
	case !s.prof.userGrant():
		tok, err = conf.ClientCredentialsToken(ctx)
	default:
		tok, err = conf.Refresh(ctx, prev.RefreshToken)
	}
	return tok, at("the token endpoint", "--token-url", conf.Endpoint.TokenURL, err)
}

// tokenSource returns the cached, self-renewing token source of a
// profile, backed by the keychain. A DPoP profile's source carries its
// key, so that a Transport over it sends proofs and a cached token bound
// to another key is not used.
func (a *App) tokenSource(ctx context.Context, name string, p *Profile) (*tokensource.Cached, error) {
	opts := &tokensource.Options{
		Cache:    a.store(),
		CacheKey: tokenKey(name),
		Logger:   a.logger(),
	}
	k, err := a.dpopKey(ctx, name, p)
	if err != nil {
		return nil, err
	}
	if k != nil {
		opts.DPoP = k
	}
	return tokensource.New(&profileSource{app: a, name: name, prof: p}, opts), nil
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
