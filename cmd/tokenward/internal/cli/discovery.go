package cli

import (
	"context"
	"fmt"
	"github.com/tokenward/tokenward/internal/wire"
	"net/http"
	"net/url"

	"github.com/tokenward/tokenward/client"
)

// checkSecureURL returns an error unless raw is an absolute https URL, or
// an http URL on a loopback host (RFC 8252 §8.3): a credential or a login
// must never travel in the clear. 'profile add' applies it to every URL a
// profile names, so that an http issuer is refused before any request.
func checkSecureURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute URL", what, raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && wire.IsLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("%s %q is plain http: use https (http is allowed on loopback only)", what, raw)
	}
	return fmt.Errorf("%s %q is not an https URL", what, raw)
}

// resolveEndpoints fills the profile's empty endpoint URLs from the
// issuer's metadata (client.Discover: RFC 8414, then OpenID Connect
// discovery; the document must name the issuer exactly; https or
// loopback; no redirect to another origin; 1 MiB cap), when the profile
// names an issuer. URLs set in the profile win over discovered ones. The
// metadata is nil for a profile without an issuer.
func resolveEndpoints(ctx context.Context, hc *http.Client, p *Profile) (*Profile, *client.Metadata, error) {
	if p.Issuer == "" {
		return p, nil, nil
	}
	md, err := client.Discover(ctx, p.Issuer, hc)
	if err != nil {
		return nil, nil, err
	}
	q := *p
	// A client that authenticates with its TLS certificate uses the mTLS
	// aliases of the endpoints (RFC 8705 §5), never the plain ones.
	set := func(dst *string, member, v string) {
		if u := md.MTLSEndpointAliases[member]; u != "" && p.ClientCert != "" {
			v = u
		}
		if *dst == "" {
			*dst = v
		}
	}
	set(&q.AuthURL, "authorization_endpoint", md.AuthorizationEndpoint)
	set(&q.TokenURL, "token_endpoint", md.TokenEndpoint)
	set(&q.DeviceAuthURL, "device_authorization_endpoint", md.DeviceAuthorizationEndpoint)
	set(&q.RevocationURL, "revocation_endpoint", md.RevocationEndpoint)
	set(&q.IntrospectionURL, "introspection_endpoint", md.IntrospectionEndpoint)
	return &q, md, nil
}
