package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// metadata is the part of RFC 8414 authorization server metadata (and of
// an OpenID Connect discovery document) that tokenward uses.
type metadata struct {
	Issuer                      string `json:"issuer"`
	AuthorizationEndpoint       string `json:"authorization_endpoint"`
	TokenEndpoint               string `json:"token_endpoint"`
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"`
	RevocationEndpoint          string `json:"revocation_endpoint"`
	// PAR (RFC 9126): login pushes its authorization request when the
	// server requires it.
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint"`
	RequirePushedAuthorizationRequests bool   `json:"require_pushed_authorization_requests"`
}

// metadataURLs returns where the metadata of issuer may be: the RFC 8414
// well-known URI (with the issuer's path appended after it) and the
// OpenID Connect discovery URI (the issuer's path followed by it).
func metadataURLs(issuer string) ([]string, error) {
	u, err := url.Parse(strings.TrimRight(issuer, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("issuer %q is not an absolute URL", issuer)
	}
	path := u.EscapedPath()
	rfc := *u
	rfc.RawPath, rfc.Path = "", "/.well-known/oauth-authorization-server"+u.Path
	oidc := *u
	oidc.RawPath, oidc.Path = "", u.Path+"/.well-known/openid-configuration"
	if path == "" {
		return []string{rfc.String(), oidc.String()}, nil
	}
	return []string{oidc.String(), rfc.String()}, nil
}

// maxMetadataBytes bounds a metadata document.
const maxMetadataBytes = 1 << 20

// checkSecureURL returns an error unless raw is an absolute https URL, or
// an http URL on a loopback host (RFC 8252 §8.3): a credential or a login
// must never travel in the clear.
func checkSecureURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute URL", what, raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("%s %q is plain http: use https (http is allowed on loopback only)", what, raw)
	}
	return fmt.Errorf("%s %q is not an https URL", what, raw)
}

// isLoopback reports whether host is localhost or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// discover fetches the metadata of issuer with hc and checks that it
// names the issuer and that every endpoint it names is https (or
// loopback). The issuer must be https or loopback, and the fetch follows
// no redirect to another host or to plain http.
func discover(ctx context.Context, hc *http.Client, issuer string) (*metadata, error) {
	if err := checkSecureURL("issuer", issuer); err != nil {
		return nil, err
	}
	urls, err := metadataURLs(issuer)
	if err != nil {
		return nil, err
	}
	dc := *hc
	dc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("discovery: too many redirects")
		}
		if !strings.EqualFold(r.URL.Hostname(), via[0].URL.Hostname()) {
			return fmt.Errorf("discovery: refusing a redirect from %s to another host (%s)", via[0].URL.Host, r.URL.Host)
		}
		return checkSecureURL("discovery redirect", r.URL.String())
	}
	hc = &dc
	var lastErr error
	for _, u := range urls {
		md, err := fetchMetadata(ctx, hc, u)
		if err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if strings.TrimRight(md.Issuer, "/") != strings.TrimRight(issuer, "/") {
			return nil, fmt.Errorf("discovery at %s names issuer %q, not %q", u, md.Issuer, issuer)
		}
		if err := md.check(); err != nil {
			return nil, fmt.Errorf("discovery at %s: %w", u, err)
		}
		return md, nil
	}
	return nil, fmt.Errorf("discovery for issuer %s failed: %w", issuer, lastErr)
}

// check checks every endpoint the metadata names, including the
// authorization endpoint that the browser is sent to.
func (md *metadata) check() error {
	for _, e := range []struct{ what, v string }{
		{"authorization_endpoint", md.AuthorizationEndpoint}, {"token_endpoint", md.TokenEndpoint},
		{"device_authorization_endpoint", md.DeviceAuthorizationEndpoint}, {"revocation_endpoint", md.RevocationEndpoint},
	} {
		if e.v == "" {
			continue
		}
		if err := checkSecureURL(e.what, e.v); err != nil {
			return err
		}
	}
	return nil
}

// fetchMetadata GETs one metadata document.
func fetchMetadata(ctx context.Context, hc *http.Client, u string) (*metadata, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxMetadataBytes {
		return nil, fmt.Errorf("GET %s: metadata document over %d bytes", u, maxMetadataBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	var md metadata
	if err := json.Unmarshal(body, &md); err != nil {
		return nil, fmt.Errorf("GET %s: not a metadata document: %v", u, err)
	}
	return &md, nil
}

// resolveEndpoints fills the profile's empty endpoint URLs from the
// issuer's metadata, when the profile names an issuer. URLs set in the
// profile win over discovered ones.
func resolveEndpoints(ctx context.Context, hc *http.Client, p *Profile) (*Profile, error) {
	if p.Issuer == "" {
		return p, nil
	}
	md, err := discover(ctx, hc, p.Issuer)
	if err != nil {
		return nil, err
	}
	q := *p
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	set(&q.AuthURL, md.AuthorizationEndpoint)
	set(&q.TokenURL, md.TokenEndpoint)
	set(&q.DeviceAuthURL, md.DeviceAuthorizationEndpoint)
	set(&q.RevocationURL, md.RevocationEndpoint)
	if md.RequirePushedAuthorizationRequests {
		q.parURL = md.PushedAuthorizationRequestEndpoint
	}
	return &q, nil
}
