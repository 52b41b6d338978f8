package client

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/tokenward/tokenward/dpop"
	"github.com/tokenward/tokenward/tokensource"
)

// ErrDPoPWithoutKey is returned when the authorization server issues a
// DPoP-bound token (token_type DPoP) to a Config without a DPoP key: such
// a token is useless without the key, so it is refused.
var ErrDPoPWithoutKey = errors.New("client: the server issued a DPoP-bound token but Config.DPoP is not set")

// maxNonces bounds the authorization servers whose DPoP nonce a Config
// remembers.
const maxNonces = 16

// dpopAuth adds a DPoP proof (RFC 9449 §5) to every token request that
// its clientAuth authenticates, answers one use_dpop_nonce challenge by
// asking for a resend, and learns the server's nonce from every answer.
// It is an attemptAuth: every attempt, retries after a 5xx included, gets
// its own proof (and, when the clientAuth is one too, its own assertion).
type dpopAuth struct {
	clientAuth
	key    *dpop.Key
	url    string  // the token endpoint: the proof's htu
	st     *shared // where the nonce is remembered, per origin
	origin string
	resent bool

	mu     sync.Mutex
	cur    string   // the proof apply sends
	proofs []string // every proof made, redacted from what the server echoes
}

// withDPoP wraps auth with DPoP proofs when c has a key and k is a request
// that DPoP covers (the token endpoint, RFC 9449 §5; PAR, §10.1).
func (c *Config) withDPoP(auth clientAuth, k *call) clientAuth {
	if c.DPoP == nil || k.endpoint != "token" && k.endpoint != "pushed_authorization" {
		return auth
	}
	return &dpopAuth{clientAuth: auth, key: c.DPoP, url: k.url, st: c.state(), origin: origin(k.url)}
}

// renew makes the proof of the next attempt, with the server's current
// nonce, and the inner credentials when they are made per attempt.
func (d *dpopAuth) renew(ctx context.Context) error {
	if aa, ok := d.clientAuth.(attemptAuth); ok {
		if err := aa.renew(ctx); err != nil {
			return err
		}
	}
	proof, err := d.key.Proof(http.MethodPost, d.url, "", d.st.nonces.Get(d.origin))
	if err != nil {
		return fmt.Errorf("client: DPoP proof: %w", err) // dpop's errors hold no key material
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cur = proof
	d.proofs = append(d.proofs, proof)
	return nil
}

func (d *dpopAuth) apply(h http.Header, params url.Values) {
	d.clientAuth.apply(h, params)
	d.mu.Lock()
	defer d.mu.Unlock()
	h.Set("DPoP", d.cur)
}

// secrets are the proofs made and the inner credentials.
func (d *dpopAuth) secrets() []string {
	var out []string
	if aa, ok := d.clientAuth.(attemptAuth); ok {
		out = append(out, aa.secrets()...)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return append(out, d.proofs...)
}

// resend learns the nonce of a's DPoP-Nonce header and asks for one
// resend when a is a use_dpop_nonce error that brought a new nonce.
func (d *dpopAuth) resend(a *answer) bool {
	fresh := d.st.nonces.Learn(d.origin, a.resp.Header, maxNonces)
	code, _ := a.fields["error"].(string)
	if code != "use_dpop_nonce" || !fresh || d.resent {
		return false
	}
	d.resent = true
	return true
}

// origin is the scheme and host of raw, lower-cased.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// checkTokenType accepts Bearer (or no token_type), and DPoP when the
// Config has a key.
func (c *Config) checkTokenType(tt string) error {
	switch {
	case tt == "" || strings.EqualFold(tt, "bearer"):
		return nil
	case strings.EqualFold(tt, "dpop") && c.DPoP != nil:
		return nil
	case strings.EqualFold(tt, "dpop"):
		return ErrDPoPWithoutKey
	}
	return errUnsupportedType
}

var errUnsupportedType = errors.New("unsupported token_type")

// dpopJKT is the RequestOption of a Config with a DPoP key on
// authorization and PAR requests: dpop_jkt binds the code to the key
// (RFC 9449 §10).
func (c *Config) dpopJKT() RequestOption {
	if c.DPoP == nil {
		return nil
	}
	return paramOption{"dpop_jkt", c.DPoP.Thumbprint()}
}

// bound returns opts with what the source's tokens are bound to: DPoP
// set to c's key, so that a Transport over the source proves possession
// of it and the cache keeps the binding, and, for an mTLS client, the
// thumbprint of its certificate. opts itself is not modified; fields
// already set are kept.
func (c *Config) bound(opts *tokensource.Options) *tokensource.Options {
	x5t := ""
	if c.MTLS {
		x5t = certThumbprint(c.HTTPClient)
	}
	if (c.DPoP == nil || opts != nil && opts.DPoP != nil) && (x5t == "" || opts != nil && opts.CertThumbprint != "") {
		return opts
	}
	var o tokensource.Options
	if opts != nil {
		o = *opts
	}
	if o.DPoP == nil && c.DPoP != nil {
		o.DPoP = c.DPoP
	}
	if o.CertThumbprint == "" {
		o.CertThumbprint = x5t
	}
	return &o
}

// certThumbprint is the base64url SHA-256 of the first certificate that
// hc's transport presents, or "" when it has none fixed (a
// GetClientCertificate callback chooses at handshake time).
func certThumbprint(hc *http.Client) string {
	if hc == nil {
		return ""
	}
	tr, ok := hc.Transport.(*http.Transport)
	if !ok || tr.TLSClientConfig == nil || len(tr.TLSClientConfig.Certificates) == 0 || len(tr.TLSClientConfig.Certificates[0].Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(tr.TLSClientConfig.Certificates[0].Certificate[0])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
