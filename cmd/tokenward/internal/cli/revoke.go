package cli

import (
	"context"
	"errors"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
)

// revoke revokes token (of the given type hint) at the RFC 7009
// revocation endpoint with client.Config.Revoke, authenticating the
// client as the profile says and in the profile's body format. It reports
// whether the server revoked the token: RFC 7009 §2.2.1's
// unsupported_token_type (the server does not revoke this kind of token)
// is not a failure of the logout, but the token was not revoked.
func revoke(ctx context.Context, conf *client.Config, endpoint, token, hint string) (revoked bool, err error) {
	c := *conf
	c.RevocationURL = endpoint
	err = c.Revoke(ctx, token, hint)
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode == "unsupported_token_type" {
		return false, nil
	}
	return err == nil, err
}
