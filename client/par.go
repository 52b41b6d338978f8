package client

import "context"

// PushAuthCodeURL pushes the authorization request that AuthCodeURL
// would encode to the PAR endpoint (RFC 9126), PARURL or Metadata's,
// authenticating the client as for token requests, and returns the
// authorization URL to send the user to: it carries only client_id and
// the request_uri the server returned, which is valid for the
// expires_in the server said (seconds to minutes). Call it instead of
// AuthCodeURL when Metadata has RequirePushedAuthorizationRequests;
// it works with any server that has a PAR endpoint. An answer without
// request_uri, or with an expires_in that is missing or out of range,
// is an *InvalidResponseError.
func (c *Config) PushAuthCodeURL(ctx context.Context, state string, opts ...RequestOption) (string, error) {
	endpoint, err := checkEndpoint("PAR", c.endpointURL(endpointPAR))
	if err != nil {
		return "", err
	}
	authURL := c.endpointURL(endpointAuthorize)
	if authURL == "" {
		return "", &ConfigError{Field: "authorization URL", Reason: "is empty"}
	}
	var requestURI string
	k := &call{op: "pushed authorization request", endpoint: "pushed_authorization", url: endpoint,
		params: c.authParams("code", state, opts), policy: retrySafe}
	k.decode = func(a *answer) (err error) {
		requestURI, _, err = parsePAR(a.body)
		return err
	}
	if _, err := c.post(ctx, k); err != nil {
		return "", err
	}
	return parAuthURL(authURL, c.ClientID, requestURI)
}
