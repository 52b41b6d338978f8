package cli

import (
	"errors"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/dpop"
	"github.com/tokenward/tokenward/tokensource"
)

// This file is the CLI's only contact with the sender-constrained token
// features still being wired into packages client and tokensource
// (Config.DPoP, Config.MTLS, Options.DPoP). Until they are, each says so
// in one clear error; the profile settings, files and keys they use are
// already checked and stored.

// errNotInLibrary is matched by errors for a profile feature that the
// linked client library cannot perform yet.
var errNotInLibrary = errors.New("this tokenward build's client library cannot do it yet")

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
