package cli

import (
	"context"
	"errors"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/dpop"
	"github.com/tokenward/tokenward/tokensource"
)

// This file is the CLI's only contact with the client features still
// being wired into package client (Config.ClientAssertion, Config.DPoP,
// Config.MTLS, ExchangeToken, Introspect). Until they are, each says
// so in one clear error; the profile settings, files and keys they use
// are already checked and stored.

// errNotInLibrary is matched by errors for a profile feature that the
// linked client library cannot perform yet.
var errNotInLibrary = errors.New("this tokenward build's client library cannot do it yet")

// setMetadata gives conf the issuer's discovered metadata (nil: none),
// from which the library picks the client authentication method and the
// mTLS endpoint aliases.
func setMetadata(conf *client.Config, md *client.Metadata) { _, _ = conf, md }

// setClientAssertion makes conf authenticate with a JWT (private_key_jwt or a
// workload assertion file).
func setClientAssertion(conf *client.Config, a client.ClientAssertion) error {
	_, _ = conf, a
	return errNotInLibrary
}

// setDPoP binds conf's tokens to k.
func setDPoP(conf *client.Config, k *dpop.Key) error {
	_, _ = conf, k
	return errNotInLibrary
}

// setSourceDPoP gives a token source's options the key its tokens are
// bound to.
func setSourceDPoP(opts *tokensource.Options, k *dpop.Key) error {
	_, _ = opts, k
	return errNotInLibrary
}

// setMTLS makes conf authenticate with the TLS client certificate its
// HTTPClient presents.
func setMTLS(conf *client.Config) error {
	_ = conf
	return errNotInLibrary
}

// pushedAuthCodeURL returns the authorization URL of a pushed
// authorization request (RFC 9126) when the server's metadata requires
// PAR, and "" when it does not, for AuthCodeURL then.
func pushedAuthCodeURL(ctx context.Context, conf *client.Config, state string, opts ...client.RequestOption) (string, error) {
	_, _, _, _ = ctx, conf, state, opts
	return "", nil
}

// exchangeToken runs an RFC 8693 token exchange.
func exchangeToken(ctx context.Context, conf *client.Config, req client.TokenExchange) (*oauth2.Token, error) {
	_, _, _ = ctx, conf, req
	return nil, errNotInLibrary
}

// introspectToken asks the RFC 7662 endpoint about token.
func introspectToken(ctx context.Context, conf *client.Config, endpoint, token, hint string) (*client.Introspection, error) {
	_, _, _, _, _ = ctx, conf, endpoint, token, hint
	return nil, errNotInLibrary
}
