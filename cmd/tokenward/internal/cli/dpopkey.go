package cli

import (
	"context"
	"crypto"
	"crypto/x509"
	"time"

	"github.com/tokenward/tokenward/dpop"
)

// dpopKeyKey is the store key of a profile's DPoP private key.
func dpopKeyKey(profile string) string { return "profile/" + profile + "/dpop-key" }

// createDPoPKey generates the profile's DPoP key (P-256, ES256) and
// keeps its private half, PKCS#8 DER, in the store: the OS keychain, or
// the opt-in sealed file store. It is made once, at 'profile add', so
// that the tokens the server binds to it stay usable.
func (a *App) createDPoPKey(ctx context.Context, name string) (*dpop.Key, error) {
	k, err := dpop.GenerateKey()
	if err != nil {
		return nil, &Error{Code: ExitGeneric, Profile: name, What: "cannot generate a DPoP key", Err: err}
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer())
	if err != nil {
		return nil, &Error{Code: ExitGeneric, Profile: name, What: "cannot encode the DPoP key", Err: err}
	}
	if err := a.store().Save(ctx, dpopKeyKey(name), der, time.Time{}); err != nil {
		return nil, keychainError(name, "cannot store the DPoP key", err)
	}
	return k, nil
}

// dpopKey loads the profile's DPoP key from the store, or returns nil
// when the profile does not use DPoP.
func (a *App) dpopKey(ctx context.Context, name string, p *Profile) (*dpop.Key, error) {
	if !p.DPoP {
		return nil, nil
	}
	if k := a.dpopKeys[name]; k != nil {
		return k, nil
	}
	der, err := a.store().Load(ctx, dpopKeyKey(name))
	if err != nil {
		return nil, keychainError(name, "cannot read the DPoP key", err)
	}
	if der == nil {
		return nil, configError(name, "the DPoP key is missing from the store",
			"make a new one with 'tokenward profile add "+shellQuote(name)+" --force --dpop ...'")
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, configError(name, "the stored DPoP key is corrupt", "make a new one with 'tokenward profile add "+shellQuote(name)+" --force --dpop ...'")
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, configError(name, "the stored DPoP key cannot sign", "make a new one with 'tokenward profile add "+shellQuote(name)+" --force --dpop ...'")
	}
	k, err := dpop.NewKey(signer)
	if err != nil {
		return nil, configError(name, "the stored DPoP key cannot sign", "make a new one with 'tokenward profile add "+shellQuote(name)+" --force --dpop ...'")
	}
	if a.dpopKeys == nil {
		a.dpopKeys = map[string]*dpop.Key{}
	}
	a.dpopKeys[name] = k // one store read per run
	return k, nil
}
