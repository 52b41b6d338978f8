package client

import "context"

// Introspect asks the authorization server about token (RFC 7662) at
// IntrospectionURL (or Metadata's), authenticating the client as for
// token requests (or as Metadata's
// introspection_endpoint_auth_methods_supported allows, when it names
// any). tokenTypeHint is "access_token", "refresh_token" or
// "". An inactive token (expired, revoked, unknown, or not the
// client's) is an *Introspection with Active false, not an error; an
// RFC 6749 error is an *oauth2.RetrieveError and an answer that is not
// an introspection response an *InvalidResponseError.
func (c *Config) Introspect(ctx context.Context, token, tokenTypeHint string) (*Introspection, error) {
	endpoint, err := checkEndpoint("introspection", c.endpointURL(endpointIntrospection))
	if err != nil {
		return nil, err
	}
	var in *Introspection
	k := &call{op: "introspection", endpoint: "introspection", url: endpoint, params: introspectionParams(token, tokenTypeHint), policy: retrySafe}
	k.decode = func(a *answer) (err error) {
		in, err = parseIntrospection(a.body)
		return err
	}
	if _, err := c.post(ctx, k); err != nil {
		return nil, err
	}
	return in, nil
}
