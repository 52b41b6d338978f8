package cli

import (
	"context"
	"fmt"
	"strings"

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
	var revoked, refused []string // token kinds the server revoked, or said it does not revoke
	if doRevoke {
		conf, rp, err := a.clientConfig(ctx, name, p)
		switch {
		case err != nil:
			revokeErr = err
		case rp.RevocationURL == "":
			fmt.Fprintf(a.Out, "The server has no revocation endpoint; the tokens stay valid until they expire.\n")
		default:
			for _, t := range []struct{ kind, hint, value string }{
				{"refresh token", "refresh_token", tok.RefreshToken}, {"access token", "access_token", tok.AccessToken},
			} {
				if t.value == "" || revokeErr != nil {
					continue
				}
				ok, err := revoke(ctx, conf, rp.RevocationURL, t.value, t.hint)
				switch {
				case err != nil:
					revokeErr = err
				case ok:
					revoked = append(revoked, t.kind)
				default:
					refused = append(refused, t.kind)
				}
			}
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
	switch {
	case len(refused) > 0:
		what := "tokens deleted"
		if len(revoked) > 0 {
			what = strings.Join(revoked, " and ") + " revoked; tokens deleted"
		}
		fmt.Fprintf(a.Out, "Logged out: profile %q (%s). The server does not revoke the %s (unsupported_token_type): it stays valid until it expires.\n",
			name, what, strings.Join(refused, " and "))
	case len(revoked) > 0:
		fmt.Fprintf(a.Out, "Logged out: profile %q (tokens revoked and deleted).\n", name)
	default:
		fmt.Fprintf(a.Out, "Logged out: profile %q (tokens deleted).\n", name)
	}
	return nil
}
