package client

// endpoint names one URL of a Config.
type endpoint int

const (
	endpointAuthorize endpoint = iota
	endpointToken
	endpointDevice
	endpointRevocation
	endpointIntrospection
	endpointPAR
)

// endpointURL returns the URL of e: the Config's own field when set,
// else the one Config.Metadata names (its mTLS alias, RFC 8705 §5, for an
// MTLS Config), else "". c is never modified, so
// a Config with Metadata stays safe for concurrent use.
func (c *Config) endpointURL(e endpoint) string {
	own, meta := c.endpointFields(e)
	if own != "" || c.Metadata == nil {
		return own
	}
	if c.MTLS {
		return c.Metadata.mtlsURL(mtlsMember(e), meta)
	}
	return meta
}

func (c *Config) endpointFields(e endpoint) (own, meta string) {
	m := c.Metadata
	if m == nil {
		m = &Metadata{}
	}
	switch e {
	case endpointAuthorize:
		return c.Endpoint.AuthURL, m.AuthorizationEndpoint
	case endpointToken:
		return c.Endpoint.TokenURL, m.TokenEndpoint
	case endpointDevice:
		return c.Endpoint.DeviceAuthURL, m.DeviceAuthorizationEndpoint
	case endpointRevocation:
		return c.RevocationURL, m.RevocationEndpoint
	case endpointIntrospection:
		return c.IntrospectionURL, m.IntrospectionEndpoint
	case endpointPAR:
		return c.PARURL, m.PushedAuthorizationRequestEndpoint
	}
	return "", ""
}

// issuer is Metadata.Issuer, or "".
func (c *Config) issuer() string {
	if c.Metadata == nil {
		return ""
	}
	return c.Metadata.Issuer
}
