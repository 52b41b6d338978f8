package cli

import (
	"context"
	"errors"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
)

// revoke revokes token (of the given type hint) at the RFC 7009
// revocation endpoint with client.Config.Revoke, authenticating the
// client as the profile says and in the profile's body format.
func revoke(ctx context.Context, conf *client.Config, endpoint, token, hint string) error {
	c := *conf
	c.RevocationURL = endpoint
	err := c.Revoke(ctx, token, hint)
	// RFC 7009 §2.2.1: unsupported_token_type means the server does not
	// revoke this kind of token; it is not a failure of the logout.
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode == "unsupported_token_type" {
		return nil
	}
	return err
}
