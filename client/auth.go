package client

import (
	"encoding/base64"
	"net/http"
	"net/url"
)

// clientAuth authenticates the client on one request (RFC 6749 §2.3): it
// may add headers and body parameters. Each method is one
// implementation; client assertions, mTLS and DPoP proofs are each one
// more. apply runs before every send, including a resend.
type clientAuth interface {
	apply(h http.Header, params url.Values)
}

// resender is implemented by a clientAuth that may ask for one resend
// after an answer, with new headers (a DPoP use_dpop_nonce challenge).
type resender interface {
	resend(a *answer) bool
}

// basicAuth sends the credentials with HTTP Basic, each part
// form-encoded first (RFC 6749 §2.3.1).
type basicAuth struct{ id, secret string }

func (b basicAuth) apply(h http.Header, _ url.Values) {
	h.Set("Authorization", "Basic "+basicCredentials(b.id, b.secret))
}

func basicCredentials(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}

// bodyAuth sends client_id and client_secret as body parameters.
type bodyAuth struct{ id, secret string }

func (b bodyAuth) apply(_ http.Header, params url.Values) {
	params.Set("client_id", b.id)
	params.Set("client_secret", b.secret)
}

// noAuth identifies a public client by client_id alone.
type noAuth struct{ id string }

func (n noAuth) apply(_ http.Header, params url.Values) {
	if n.id != "" { // a JWT bearer grant may come from no client at all
		params.Set("client_id", n.id)
	}
}
