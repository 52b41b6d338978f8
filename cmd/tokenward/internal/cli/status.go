package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

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
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n, p.Grant, state, expires, safe(orDash(scopes)))
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
