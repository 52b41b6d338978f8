package client

import (
	"context"
	"net/url"
)

// Revoke asks the authorization server to revoke token (RFC 7009) at
// RevocationURL, authenticating the client as for token requests (or as
// Metadata's revocation_endpoint_auth_methods_supported allows, when it
// names any) and in the configured body format. tokenTypeHint is "refresh_token",
// "access_token" or "". Revoking a refresh token usually revokes the
// access tokens issued from it. An RFC 7009 error (for example
// unsupported_token_type) is an *oauth2.RetrieveError; a token the server
// does not know is not an error (RFC 7009 §2.2).
func (c *Config) Revoke(ctx context.Context, token, tokenTypeHint string) error {
	endpoint, err := checkEndpoint("revocation", c.endpointURL(endpointRevocation))
	if err != nil {
		return err
	}
	v := url.Values{"token": {token}}
	if tokenTypeHint != "" {
		v.Set("token_type_hint", tokenTypeHint)
	}
	_, err = c.post(ctx, &call{op: "revocation", endpoint: "revocation", url: endpoint, params: v, policy: retrySafe})
	return err
}
