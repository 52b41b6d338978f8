package client

import (
	"context"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
)

// assertionAuth authenticates the client with a client assertion (RFC
// 7521 section 4.2, RFC 7523 section 2.2): client_id,
// client_assertion_type and client_assertion. It is an attemptAuth: a
// new assertion, with a new jti, is made for every attempt, because a
// server refuses a replayed one.
type assertionAuth struct {
	a    ClientAssertion
	req  assertionRequest
	cur  string   // the assertion apply sends
	sent []string // every assertion made, for the redactor
}

func (x *assertionAuth) renew(ctx context.Context) error {
	s, err := x.a.assertion(ctx, x.req)
	if err != nil {
		return err
	}
	x.cur = s
	x.sent = append(x.sent, s)
	return nil
}

func (x *assertionAuth) apply(_ http.Header, params url.Values) {
	params.Set("client_id", x.req.ClientID)
	params.Set("client_assertion_type", clientAssertionType)
	params.Set("client_assertion", x.cur)
}

func (x *assertionAuth) secrets() []string { return x.sent }

// authMethod is how c authenticates the client on a request to
// endpoint (a call's endpoint name: "token", "revocation", ...): a
// configured ClientAssertion always; otherwise, under auto-detection
// with Metadata, what the endpoint's auth methods allow; else the
// Endpoint's AuthStyle (authAuto).
func (c *Config) authMethod(endpoint string) authMethod {
	var supported []string
	if c.Endpoint.AuthStyle == oauth2.AuthStyleAutoDetect && c.Metadata != nil {
		supported = c.Metadata.authMethodsSupported(endpoint)
	}
	m, _ := chooseAuthMethod(supported, c.ClientAssertion != nil, c.ClientSecret != "")
	return m
}

// assertionAuth returns the clientAuth of a request to requestURL (at
// endpoint, a call's endpoint name) when
// the client authenticates with an assertion (its ClientAssertion, or
// client_secret_jwt when that is all the server's metadata allows), or
// nil. The audience is the token endpoint for every endpoint (RFC 7523
// section 3), plus the issuer when known, unless AssertionAudience pins
// it.
func (c *Config) assertionAuth(endpoint, requestURL string) *assertionAuth {
	var a ClientAssertion
	switch c.authMethod(endpoint) {
	case authAssertion:
		a = c.ClientAssertion
	case authSecretJWT:
		a = SecretJWT()
	default:
		return nil
	}
	tokenURL := c.endpointURL(endpointToken)
	if tokenURL == "" {
		tokenURL = requestURL
	}
	return &assertionAuth{a: a, req: assertionRequest{
		ClientID: c.ClientID, Secret: c.ClientSecret,
		Audience: assertionAudience(c.AssertionAudience, tokenURL, c.issuer()),
	}}
}

// metadataStyle is the one secret style the server's metadata allows
// at endpoint under auto-detection (client_secret_basic or
// client_secret_post only).
func (c *Config) metadataStyle(endpoint string) (oauth2.AuthStyle, bool) {
	switch c.authMethod(endpoint) {
	case authBasic:
		return oauth2.AuthStyleInHeader, true
	case authPost:
		return oauth2.AuthStyleInParams, true
	}
	return 0, false
}
