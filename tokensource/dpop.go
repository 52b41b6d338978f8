package tokensource

import (
	"errors"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/record"
	"github.com/tokenward/tokenward/internal/wire"
)

// Prover makes DPoP proofs (RFC 9449 §4) with one key: a fresh proof, with
// a new jti, for each call. *dpop.Key is one.
type Prover interface {
	// Proof returns a proof for a request with method to url, with the
	// ath of accessToken when it is not empty, and nonce when it is not
	// empty.
	Proof(method, url, accessToken, nonce string) (string, error)
	// Thumbprint is the RFC 7638 SHA-256 thumbprint of the public key,
	// which a cache record of a token bound to it keeps.
	Thumbprint() string
}

// ErrNoProver is returned by a Transport asked to send a DPoP-bound token
// (token_type DPoP) without a Prover for its key: neither Transport.DPoP
// nor the Options.DPoP of its Cached source is set.
var ErrNoProver = errors.New("tokensource: a DPoP-bound token needs a Prover (Transport.DPoP or Options.DPoP)")

// maxNonceOrigins bounds the resource servers whose DPoP nonce a Transport
// remembers.
const maxNonceOrigins = 64

// nonceMemo is the DPoP nonce of each resource server origin (RFC 9449
// §9), learnt from its DPoP-Nonce headers; bounded by maxNonceOrigins.
type nonceMemo = wire.NonceMemo[origin]

// prover returns the Prover for tok: nil for a Bearer token, an error for
// a DPoP token without one.
func (t *Transport) prover(tok *oauth2.Token) (Prover, error) {
	if !strings.EqualFold(tok.Type(), "DPoP") {
		return nil, nil
	}
	if t.DPoP != nil {
		return t.DPoP, nil
	}
	if c, ok := t.Source.(*Cached); ok && c.opts.DPoP != nil {
		return c.opts.DPoP, nil
	}
	return nil, ErrNoProver
}

// send sends r, which carries tok in its Authorization header, with a
// fresh DPoP proof when tok is DPoP-bound. It learns the resource
// server's nonce from the answer and, when the answer is a 401
// use_dpop_nonce challenge that brought a new nonce, sends the request
// once more with a proof carrying it, if orig's body can be replayed.
func (t *Transport) send(orig, r *http.Request, tok *oauth2.Token) (*http.Response, error) {
	p, err := t.prover(tok)
	if err != nil {
		closeBody(r)
		return nil, err
	}
	if p == nil {
		return t.base().RoundTrip(r)
	}
	o := originOf(orig.URL)
	if err := t.prove(p, r, tok, o); err != nil {
		closeBody(r)
		return nil, err
	}
	resp, err := t.base().RoundTrip(r)
	if err != nil || resp == nil {
		return resp, err
	}
	fresh := t.nonces.Learn(o, resp.Header, maxNonceOrigins)
	if resp.StatusCode != http.StatusUnauthorized || !fresh || !nonceChallenge(resp.Header.Values("Www-Authenticate")) {
		return resp, nil
	}
	retry, ok := replay(orig, r.Header["Authorization"])
	if !ok {
		return resp, nil
	}
	if err := t.prove(p, retry, tok, o); err != nil {
		closeBody(retry)
		return resp, nil // the caller sees the 401
	}
	drain(resp.Body)
	resp, err = t.base().RoundTrip(retry)
	if err == nil && resp != nil {
		t.nonces.Learn(o, resp.Header, maxNonceOrigins)
	}
	return resp, err
}

// prove sets a new proof for r (a copy the Transport owns) in its DPoP
// header.
func (t *Transport) prove(p Prover, r *http.Request, tok *oauth2.Token, o origin) error {
	proof, err := p.Proof(r.Method, r.URL.String(), tok.AccessToken, t.nonces.Get(o))
	if err != nil {
		return proofError{err}
	}
	r.Header["Dpop"] = []string{proof}
	return nil
}

// proofError is a failure to make a proof; its text comes from the
// Prover, which for *dpop.Key never holds key material.
type proofError struct{ err error }

func (e proofError) Error() string { return "tokensource: DPoP proof: " + e.err.Error() }
func (e proofError) Unwrap() error { return e.err }

// replay returns a copy of req with Authorization hdr and a new body, or
// false when the body cannot be replayed.
func replay(req *http.Request, hdr []string) (*http.Request, bool) {
	hasBody := req.Body != nil && req.Body != http.NoBody
	if hasBody && req.GetBody == nil {
		return nil, false
	}
	r := withAuthorization(req, hdr)
	if hasBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, false
		}
		r.Body = body
	}
	return r, true
}

// nonceChallenge reports whether WWW-Authenticate values hold a DPoP
// challenge with error="use_dpop_nonce" (RFC 9449 §9).
func nonceChallenge(values []string) bool {
	return hasChallenge(values, "use_dpop_nonce", false)
}

// bind records in r what its token is bound to: the DPoP key of a DPoP
// token, the client certificate.
func (c *Cached) bind(r record.Record) record.Record {
	if c.opts.DPoP != nil && strings.EqualFold(r.Token.Type(), "DPoP") {
		r.JKT = c.opts.DPoP.Thumbprint()
	}
	r.CertThumbprint = c.opts.CertThumbprint
	return r
}

// boundHere reports whether the token of r may be used by c: it is not
// bound to a DPoP key other than c's (or to one while c has none), nor to
// another certificate than c's, when c knows its certificate.
func (c *Cached) boundHere(r record.Record) bool {
	if r.JKT != "" && (c.opts.DPoP == nil || c.opts.DPoP.Thumbprint() != r.JKT) {
		return false
	}
	return r.CertThumbprint == "" || c.opts.CertThumbprint == "" || r.CertThumbprint == c.opts.CertThumbprint
}
