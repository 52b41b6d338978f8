package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// newLogoutCommand builds 'tokenward logout'.
func (a *App) newLogoutCommand() *cobra.Command {
	var noRevoke bool
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Revoke the profile's tokens and delete them from the OS keychain",
		Long: `Revoke the profile's refresh and access tokens at the server's RFC 7009
revocation endpoint (from the profile, or discovered from its issuer), then
delete them from the OS keychain. The client secret stays; remove it with
'tokenward profile remove'.`,
		Example: `  tokenward logout -p google`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, p, err := a.profile()
			if err != nil {
				return err
			}
			return a.logout(cmd.Context(), name, p, !noRevoke)
		},
	}
	cmd.Flags().BoolVar(&noRevoke, "no-revoke", false, "only delete the local tokens")
	return cmd
}

// logout revokes (when asked and possible) and deletes the profile's tokens.
func (a *App) logout(ctx context.Context, name string, p *Profile, doRevoke bool) error {
	tok, err := a.loadToken(ctx, name)
	if err != nil {
		return err
	}
	if tok == nil {
		fmt.Fprintf(a.Out, "Profile %q has no stored token.\n", name)
		return nil
	}
	var revokeErr error
	revoked := false
	if doRevoke {
		conf, rp, err := a.clientConfig(ctx, name, p)
		switch {
		case err != nil:
			revokeErr = err
		case rp.RevocationURL == "":
			fmt.Fprintf(a.Out, "The server has no revocation endpoint; the tokens stay valid until they expire.\n")
		default:
			if tok.RefreshToken != "" {
				revokeErr = revoke(ctx, conf, rp.RevocationURL, tok.RefreshToken, "refresh_token")
			}
			if revokeErr == nil && tok.AccessToken != "" {
				revokeErr = revoke(ctx, conf, rp.RevocationURL, tok.AccessToken, "access_token")
			}
			revoked = revokeErr == nil
		}
	}
	if err := a.store().Delete(ctx, tokenKey(name)); err != nil {
		return keychainError(name, "cannot delete the token", err)
	}
	if revokeErr != nil {
		e := Classify(name, revokeErr)
		e.What = "deleted the local tokens, but revocation failed: " + e.What
		return e
	}
	if revoked {
		fmt.Fprintf(a.Out, "Logged out: profile %q (tokens revoked and deleted).\n", name)
	} else {
		fmt.Fprintf(a.Out, "Logged out: profile %q (tokens deleted).\n", name)
	}
	return nil
}
