package tokensource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/tokenward/tokenward/internal/wire"
	"golang.org/x/oauth2"
)

// Transport is an http.RoundTripper that adds an OAuth 2.0 access token
// from Source to each request's Authorization header (RFC 6750 §2.1).
//
// A DPoP-bound token (token_type DPoP, RFC 9449 §7) is sent as
// "Authorization: DPoP <token>" with a fresh proof by DPoP, with the
// token's ath, in the DPoP header of every request: a proof is never
// reused. A 401 with a DPoP challenge carrying error="use_dpop_nonce" and
// a new DPoP-Nonce is answered once, with a proof carrying the nonce (if
// the body can be replayed); the nonce is remembered per origin, and
// replaced by every later DPoP-Nonce header.
//
// When the response is 401 with a Bearer (or DPoP) challenge carrying
// error="invalid_token" (RFC 6750 §3.1) and Source has an Invalidate
// method (as [Cached] does), Transport invalidates the token and sends the
// request once more with a new one, provided the body can be replayed
// (the request has no body, or has GetBody).
//
// A token goes only where it was meant to: Transport authorizes requests
// to one origin (scheme, host and port), the first one it sees, and only
// over https, or plain http to a loopback host. It refuses any other
// request with an error matching ErrRefusedOrigin, before sending it.
//
// Transport never modifies the caller's request. It is safe for concurrent
// use when Source and Base are. It must not be copied after first use.
type Transport struct {
	// Source supplies the tokens. It must not be nil.
	Source Source
	// Base is the RoundTripper that sends the requests; nil means
	// http.DefaultTransport. For certificate-bound tokens (RFC 8705), it
	// must present the certificate the token was issued to.
	Base http.RoundTripper
	// DPoP makes the proofs for DPoP-bound tokens (token_type DPoP); nil
	// means the Options.DPoP of a Cached Source.
	DPoP Prover

	nonces nonceMemo // DPoP nonces of the resource servers

	origin atomic.Pointer[origin] // of the first request authorized
}

// ErrRefusedOrigin is returned for a request or redirect that would send
// a token to another origin than the first request's, or over plain http
// to a host that is not loopback.
var ErrRefusedOrigin = errors.New("tokensource: refusing to send the token")

// NewClient returns an http.Client that authorizes its requests with
// tokens from src, through a [Transport] over http.DefaultTransport. It
// follows redirects within the origin of the request that started them
// and refuses the others (and https to http) with an error matching
// ErrRefusedOrigin.
func NewClient(src Source) *http.Client {
	return NewClientWithBase(src, nil)
}

// NewClientWithBase is NewClient with the RoundTripper that sends the
// requests (a nil base means http.DefaultTransport): the place for
// proxies, custom TLS or instrumentation.
func NewClientWithBase(src Source, base http.RoundTripper) *http.Client {
	return &http.Client{Transport: &Transport{Source: src, Base: base}, CheckRedirect: checkRedirect}
}

// checkRedirect allows at most 10 redirects, within the first request's
// origin and never from https to http.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("tokensource: stopped after 10 redirects")
	}
	if from, to := originOf(via[0].URL), originOf(req.URL); from != to {
		return fmt.Errorf("%w to %s: redirected from %s", ErrRefusedOrigin, to, from)
	}
	return nil
}

// origin is a URL's origin (RFC 6454): lower-case scheme and host, and
// port.
type origin struct{ scheme, host, port string }

func originOf(u *url.URL) origin {
	return origin{strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), wire.Port(u)}
}

// is reports whether u has origin o, without allocating.
func (o origin) is(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, o.scheme) && strings.EqualFold(u.Hostname(), o.host) && wire.Port(u) == o.port
}

func (o origin) String() string { return o.scheme + "://" + net.JoinHostPort(o.host, o.port) }

// allowed checks that a token may be sent to u: https, or http to a
// loopback host, and the origin t authorized first.
func (t *Transport) allowed(u *url.URL) error {
	if p := t.origin.Load(); p != nil && p.is(u) {
		return nil // the fast path: the pinned origin was checked when pinned
	}
	o := originOf(u)
	switch o.scheme {
	case "https":
	case "http":
		if !wire.IsLoopback(o.host) {
			return fmt.Errorf("%w to %s: plain http to a host that is not loopback", ErrRefusedOrigin, o)
		}
	default:
		return fmt.Errorf("%w to %s: not https", ErrRefusedOrigin, o)
	}
	if t.origin.CompareAndSwap(nil, &o) {
		return nil
	}
	if p := t.origin.Load(); !p.is(u) {
		return fmt.Errorf("%w to %s: this Transport authorizes %s", ErrRefusedOrigin, o, *p)
	}
	return nil
}

// invalidator is implemented by sources that can drop a rejected token.
type invalidator interface {
	Invalidate(tok *oauth2.Token)
}

// errNilSource is returned by a Transport without a Source.
var errNilSource = errors.New("tokensource: Transport.Source is nil")

// errNilResponse is returned when Base breaks the RoundTripper contract
// with a nil response and a nil error.
var errNilResponse = errors.New("tokensource: Transport.Base returned a nil response and a nil error")

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.allowed(req.URL); err != nil {
		closeBody(req)
		return nil, err
	}
	hdr, tok, err := t.authorization(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.send(req, withAuthorization(req, hdr), tok)
	if err == nil && resp == nil {
		return nil, errNilResponse
	}
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.accepted(err)
		return resp, err
	}
	inv, ok := t.Source.(invalidator)
	if !ok || !invalidTokenChallenge(resp.Header.Values("Www-Authenticate")) {
		return resp, nil
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return resp, nil // the body was consumed and cannot be replayed
	}
	inv.Invalidate(tok)
	hdr2, tok2, err := t.authorization(req.Context())
	if err != nil || tok2.AccessToken == tok.AccessToken {
		return resp, nil // no better token: let the caller see the 401
	}
	retry, ok := replay(req, hdr2)
	if !ok {
		return resp, nil
	}
	drain(resp.Body)
	resp, err = t.send(req, retry, tok2)
	if err == nil && resp != nil && resp.StatusCode != http.StatusUnauthorized {
		t.accepted(nil)
	}
	return resp, err
}

// accepted tells a Cached source that a response did not reject its token.
func (t *Transport) accepted(err error) {
	if c, ok := t.Source.(*Cached); ok && err == nil {
		c.accepted()
	}
}

// authorization returns the Authorization header value and its token.
func (t *Transport) authorization(ctx context.Context) ([]string, *oauth2.Token, error) {
	if c, ok := t.Source.(*Cached); ok {
		return c.header(ctx)
	}
	if t.Source == nil {
		return nil, nil, errNilSource
	}
	tok, err := t.Source.TokenContext(ctx)
	if err != nil {
		return nil, nil, err
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, nil, errors.New("tokensource: source returned an empty token")
	}
	return []string{authHeader(tok)}, tok, nil
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// withAuthorization returns a shallow copy of req with a copied header map
// whose Authorization is hdr. hdr is shared and must not be modified.
func withAuthorization(req *http.Request, hdr []string) *http.Request {
	r2 := new(http.Request)
	*r2 = *req
	h := make(http.Header, len(req.Header)+1)
	for k, v := range req.Header {
		h[k] = v
	}
	h["Authorization"] = hdr
	r2.Header = h
	return r2
}

// closeBody closes the request body, as a RoundTripper must even on error.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// drain reads a little of body so the connection can be reused, then
// closes it.
func drain(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 4<<10)
	body.Close()
}
