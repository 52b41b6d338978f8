package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// discover fetches the metadata of issuer with hc and checks that it
// names the issuer.
func discover(ctx context.Context, hc *http.Client, issuer string) (*metadata, error) {
	urls, err := metadataURLs(issuer)
	if err != nil {
		return nil, err
	}
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
		return md, nil
	}
	return nil, fmt.Errorf("discovery for issuer %s failed: %w", issuer, lastErr)
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
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
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
	return &q, nil
}
