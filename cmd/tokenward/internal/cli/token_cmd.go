package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
)

// newTokenCommand builds 'tokenward token'.
func (a *App) newTokenCommand() *cobra.Command {
	var asJSON, showSecrets bool
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print a valid access token",
		Long: `Print a valid access token for the profile. A stored token is printed without
any network request while it is valid; an expiring one is refreshed; a
client_credentials profile fetches a new one. A user-grant profile with no
usable token runs 'tokenward login' when the terminal is interactive.

With --json the whole token is printed as JSON, the access and refresh
tokens redacted unless --show-secrets is given.`,
		Example: `  tokenward token -p acme
  tokenward curl -p acme https://api.example.com/       # the token stays out of argv
  curl -H @<(tokenward header -p acme) https://api.example.com/
  tokenward token -p acme --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, tok, err := a.currentToken(cmd.Context())
			if err != nil {
				return err
			}
			if !asJSON {
				// A valid token (RFC 6750 b64token) has no control
				// character, so safe changes only a hostile one.
				fmt.Fprintln(a.Out, safe(tok.AccessToken))
				return nil
			}
			b, _ := json.MarshalIndent(tokenJSON(name, tok, showSecrets, a.now()), "", "  ")
			fmt.Fprintln(a.Out, safeJSON(b))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the whole token as JSON (secrets redacted)")
	cmd.Flags().BoolVar(&showSecrets, "show-secrets", false, "with --json, include the access and refresh tokens")
	return cmd
}

// newHeaderCommand builds 'tokenward header'.
func (a *App) newHeaderCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "header",
		Short:   "Print an Authorization header line for scripts",
		Example: `  curl -H @<(tokenward header -p acme) https://api.example.com/   # not -H "$(...)": argv is public`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, tok, err := a.currentToken(cmd.Context())
			if err != nil {
				return err
			}
			if strings.EqualFold(tokenType(tok), "DPoP") {
				fmt.Fprintln(a.Err, "tokenward: warning: a DPoP-bound token needs a fresh proof on every request (RFC 9449): send it with 'tokenward curl'")
			}
			fmt.Fprintf(a.Out, "Authorization: %s %s\n", safe(tokenType(tok)), safe(tok.AccessToken))
			return nil
		},
	}
}

// tokenType returns the token's type as sent in Authorization headers:
// "Bearer" for bearer tokens in any case.
func tokenType(tok *oauth2.Token) string {
	if tt := tok.Type(); !strings.EqualFold(tt, "bearer") {
		return tt
	}
	return "Bearer"
}

// currentToken returns a valid token of the selected profile: from the
// keychain, refreshed, fetched, or by an interactive login.
func (a *App) currentToken(ctx context.Context) (string, *oauth2.Token, error) {
	name, p, err := a.profile()
	if err != nil {
		return name, nil, err
	}
	// Probe the keychain first, so that an unavailable keychain is reported
	// as such rather than as a cache miss.
	if _, err := a.loadToken(ctx, name); err != nil {
		return name, nil, err
	}
	src, err := a.tokenSource(ctx, name, p)
	if err != nil {
		return name, nil, err
	}
	tok, err := src.TokenContext(ctx)
	if err == nil {
		return name, tok, nil
	}
	if errors.Is(err, errNotLoggedIn) || isInvalidGrant(err) {
		if !isTerminal(a.In) || !isTerminal(a.Err) {
			what := "not logged in"
			if isInvalidGrant(err) {
				what = "the login expired or was revoked"
			}
			return name, nil, &Error{Code: ExitAuth, Profile: name, What: what,
				Hint: "run 'tokenward login" + profileFlag(name) + "'", Err: err}
		}
		fmt.Fprintf(a.Err, "Profile %q is not logged in; starting 'tokenward login'.\n", name)
		// Human output of the login goes to stderr, so stdout carries only the token.
		la := *a
		la.Out = a.Err
		tok, err := la.login(ctx, name, p, loginOptions{timeout: defaultLoginTimeout})
		return name, tok, err
	}
	return name, nil, err
}

// isInvalidGrant reports whether err is an invalid_grant refusal.
func isInvalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// tokenInfo is the JSON form of a token for --json and status.
type tokenInfo struct {
	Profile      string         `json:"profile"`
	TokenType    string         `json:"token_type"`
	AccessToken  string         `json:"access_token"`
	RefreshToken string         `json:"refresh_token,omitempty"`
	Expiry       *time.Time     `json:"expiry,omitempty"`
	ExpiresIn    int64          `json:"expires_in,omitempty"`
	Scope        string         `json:"scope,omitempty"`
	IDToken      string         `json:"id_token,omitempty"`
	Extra        map[string]any `json:"extra,omitempty"`
}

// tokenJSON describes tok, its secrets redacted unless showSecrets.
func tokenJSON(name string, tok *oauth2.Token, showSecrets bool, now time.Time) tokenInfo {
	hide := func(s string) string {
		if s == "" || showSecrets {
			return s
		}
		return redactedValue
	}
	ti := tokenInfo{
		Profile:      name,
		TokenType:    tokenType(tok),
		AccessToken:  hide(tok.AccessToken),
		RefreshToken: hide(tok.RefreshToken),
	}
	if !tok.Expiry.IsZero() {
		e := tok.Expiry.Round(time.Second)
		ti.Expiry = &e
		ti.ExpiresIn = max(int64(tok.Expiry.Sub(now).Seconds()), 0)
	}
	if s, ok := tok.Extra("scope").(string); ok {
		ti.Scope = s
	}
	if s, ok := tok.Extra("id_token").(string); ok {
		ti.IDToken = hide(s)
	}
	return ti
}
