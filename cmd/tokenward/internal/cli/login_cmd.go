package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// defaultLoginTimeout bounds how long login waits for the user.
const defaultLoginTimeout = 5 * time.Minute

// newLoginCommand builds 'tokenward login'.
func (a *App) newLoginCommand() *cobra.Command {
	o := loginOptions{}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in and store the token in the OS keychain",
		Long: `Sign in with the profile's grant and store the token in the OS keychain:

  authorization_code  opens the browser (PKCE, loopback redirect on 127.0.0.1)
  implicit            opens the browser; the token comes back in the URL fragment
  device              shows a code, a link and a QR code to approve on another device
  password            asks for the username and password (or --password-stdin)
  client_credentials  fetches a token (no user involved)

The loopback listener binds to 127.0.0.1 only, on a random port unless the
profile sets redirect_port, at the path /callback; it accepts one redirect.`,
		Example: `  tokenward login -p google
  tokenward login -p google --no-browser
  tokenward login -p github --device
  printf %s "$PW" | tokenward login -p legacy --username alice --password-stdin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, p, err := a.profile()
			if err != nil {
				return err
			}
			tok, err := a.login(cmd.Context(), name, p, o)
			if err != nil {
				return Classify(name, err)
			}
			msg := fmt.Sprintf("Logged in: profile %q", name)
			if !tok.Expiry.IsZero() {
				msg += ", access token valid until " + tok.Expiry.Local().Format(time.DateTime)
			}
			if tok.RefreshToken != "" {
				msg += " (renewable)"
			}
			fmt.Fprintln(a.Out, msg+".")
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.device, "device", false, "use the device authorization grant")
	f.BoolVar(&o.noBrowser, "no-browser", false, "print the URL instead of opening a browser")
	f.DurationVar(&o.timeout, "timeout", defaultLoginTimeout, "how long to wait for the sign-in")
	f.StringVar(&o.username, "username", "", "resource owner for the password grant")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password for the password grant from stdin")
	return cmd
}

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

// newStatusCommand builds 'tokenward status'.
func (a *App) newStatusCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "status",
		Short:   "Show profiles, token expiry and scopes (never secrets)",
		Example: "  tokenward status\n  tokenward status -p acme",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cf, err := a.loadConfig()
			if err != nil {
				return err
			}
			names := cf.Names()
			if a.profileName != "" {
				if _, _, err := cf.Profile(a.profileName); err != nil {
					return err
				}
				names = []string{a.profileName}
			}
			if len(names) == 0 {
				fmt.Fprintln(a.Out, "No profiles. Add one with 'tokenward profile add NAME --preset ...'.")
				return nil
			}
			tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PROFILE\tGRANT\tTOKEN\tEXPIRES\tSCOPES")
			for _, n := range names {
				p := cf.Profiles[n]
				state, expires, scopes := a.tokenStatus(cmd.Context(), n)
				if scopes == "" {
					scopes = strings.Join(p.Scopes, " ")
				}
				if n == cf.Default {
					n += " (default)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n, p.Grant, state, expires, orDash(scopes))
			}
			return tw.Flush()
		},
	}
}

// tokenStatus describes the stored token of a profile.
func (a *App) tokenStatus(ctx context.Context, name string) (state, expires, scopes string) {
	tok, err := a.loadToken(ctx, name)
	switch {
	case err != nil:
		return "keychain unavailable", "-", ""
	case tok == nil:
		return "none", "-", ""
	}
	scopes, _ = tok.Extra("scope").(string)
	now := a.now()
	switch {
	case tok.Expiry.IsZero():
		state, expires = "valid", "never"
	case tok.Expiry.After(now):
		state, expires = "valid", fmt.Sprintf("%s (in %s)", tok.Expiry.Local().Format(time.DateTime), tok.Expiry.Sub(now).Round(time.Second))
	default:
		state, expires = "expired", tok.Expiry.Local().Format(time.DateTime)
	}
	if tok.RefreshToken != "" {
		state += ", renewable"
	}
	return state, expires, scopes
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
