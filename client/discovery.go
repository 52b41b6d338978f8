package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Well-known paths of authorization server metadata (RFC 8414 section
// 3), OpenID Connect discovery and protected resource metadata (RFC 9728
// section 3).
const (
	wellKnownOAuth    = "/.well-known/oauth-authorization-server"
	wellKnownOIDC     = "/.well-known/openid-configuration"
	wellKnownResource = "/.well-known/oauth-protected-resource"
)

// ErrIssuerMismatch is matched by discovery errors for a document that
// names another issuer (or resource) than the one asked for: RFC 8414
// section 3.3 requires the exact string, and a mismatch may mean that one
// server impersonates another.
var ErrIssuerMismatch = errors.New("client: metadata names another issuer")

// DiscoveryError reports discovery that failed. It unwraps to
// ErrIssuerMismatch, ErrInsecureURL, ErrRedirect, ErrTooLarge or the
// transport's error.
type DiscoveryError struct {
	URL    string // the document's URL, or the issuer if none was fetched
	Reason string
	Err    error
}

func (e *DiscoveryError) Error() string {
	s := "client: discovery at " + e.URL + " failed: " + e.Reason
	if e.Err != nil && !strings.Contains(e.Reason, e.Err.Error()) {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *DiscoveryError) Unwrap() error { return e.Err }

// Discover fetches the metadata of the authorization server issuer: the
// RFC 8414 document at the well-known URI (inserted before the issuer's
// path, as section 3.1 says), then, if that is absent, the OpenID Connect
// discovery document at issuer + "/.well-known/openid-configuration".
// The document must name exactly issuer, and issuer and every endpoint
// in it must be https (http only on loopback). Redirects to another
// origin are not followed and the body is capped at 1 MiB. hc nil means
// a default client with a 30 s timeout. Callers cache the result.
func Discover(ctx context.Context, issuer string, hc *http.Client) (*Metadata, error) {
	u, err := checkIdentifier("issuer", issuer)
	if err != nil {
		return nil, &DiscoveryError{URL: issuer, Reason: "bad issuer", Err: err}
	}
	hc = noRedirectClient(hc, true)
	urls := []string{
		wellKnownURL(u, wellKnownOAuth),
		strings.TrimSuffix(issuer, "/") + wellKnownOIDC,
	}
	var last error
	for _, docURL := range urls {
		resp, err := doJSON(ctx, hc, http.MethodGet, docURL, "", nil)
		if err != nil {
			return nil, &DiscoveryError{URL: docURL, Reason: "request failed", Err: err}
		}
		if resp.status != http.StatusOK {
			last = &DiscoveryError{URL: docURL, Reason: fmt.Sprintf("HTTP %d", resp.status)}
			continue // try the next well-known URI
		}
		m := new(Metadata)
		if err := json.Unmarshal(resp.body, m); err != nil {
			// A single-page app's catch-all route answers 200 with HTML:
			// not a document, so try the next well-known URI.
			last = &DiscoveryError{URL: docURL, Reason: "not a valid metadata document (JSON object with string and array members)"}
			continue
		}
		m.Raw = json.RawMessage(resp.body)
		if m.Issuer != issuer {
			return nil, &DiscoveryError{URL: docURL, Reason: "document names issuer " + quoteServer(m.Issuer), Err: ErrIssuerMismatch}
		}
		if err := m.checkURLs(); err != nil {
			return nil, &DiscoveryError{URL: docURL, Reason: "insecure endpoint", Err: err}
		}
		return m, nil
	}
	return nil, last
}

// checkURLs refuses non-https endpoints (loopback excepted).
func (m *Metadata) checkURLs() error {
	fields := []struct{ name, v string }{
		{"authorization_endpoint", m.AuthorizationEndpoint},
		{"token_endpoint", m.TokenEndpoint},
		{"device_authorization_endpoint", m.DeviceAuthorizationEndpoint},
		{"revocation_endpoint", m.RevocationEndpoint},
		{"introspection_endpoint", m.IntrospectionEndpoint},
		{"pushed_authorization_request_endpoint", m.PushedAuthorizationRequestEndpoint},
		{"registration_endpoint", m.RegistrationEndpoint},
		{"jwks_uri", m.JWKSURI},
		{"userinfo_endpoint", m.UserinfoEndpoint},
		{"end_session_endpoint", m.EndSessionEndpoint},
	}
	for k, v := range m.MTLSEndpointAliases {
		fields = append(fields, struct{ name, v string }{"mtls_endpoint_aliases." + k, v})
	}
	for _, f := range fields {
		if f.v == "" {
			continue
		}
		if _, err := checkEndpoint(quoteServer(f.name), f.v); err != nil {
			return err
		}
	}
	return nil
}

// checkIdentifier checks an issuer or resource identifier: an https URL
// (http on loopback) with no query or fragment (RFC 8414 section 2, RFC
// 9728 section 1.2).
func checkIdentifier(name, raw string) (*url.URL, error) {
	if _, err := checkEndpoint(name, raw); err != nil {
		return nil, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &ConfigError{Field: name, Reason: "is not a URL"}
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, &ConfigError{Field: name, Reason: "must not have a query or fragment"}
	}
	return u, nil
}

// wellKnownURL inserts the well-known path between the host and the
// identifier's path: https://h/p -> https://h/.well-known/x/p.
func wellKnownURL(u *url.URL, wellKnown string) string {
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	return u.Scheme + "://" + u.Host + wellKnown + path
}
