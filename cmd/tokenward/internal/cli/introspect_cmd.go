package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenward/tokenward/client"
)

// newIntrospectCommand builds 'tokenward introspect'.
func (a *App) newIntrospectCommand() *cobra.Command {
	var asJSON bool
	var hint string
	cmd := &cobra.Command{
		Use:   "introspect [TOKEN|-]",
		Short: "Ask the authorization server about a token (RFC 7662)",
		Long: `Ask the profile's introspection endpoint (RFC 7662; from the profile or
discovered from its issuer) whether a token is active, and print what the
server says about it. The profile's client authenticates the request.

The token is read from stdin (one line) when the argument is '-' or absent;
a token given as an argument is visible to every local user in the process
list, so prefer stdin. An inactive token is an answer, not an error: it
prints "active: false" and exits 0.`,
		Example: `  tokenward token -p other | tokenward introspect -p acme
  tokenward introspect -p acme --json < token.txt`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			token, err := a.tokenArg(args)
			if err != nil {
				return err
			}
			name, p, err := a.profile()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			conf, rp, err := a.clientConfig(ctx, name, p)
			if err != nil {
				return err
			}
			if rp.IntrospectionURL == "" {
				return configError(name, "no introspection endpoint", "set --introspection-url or --issuer on the profile")
			}
			if err := checkSecureURL("introspection URL", rp.IntrospectionURL); err != nil {
				return configError(name, err.Error(), "")
			}
			conf.IntrospectionURL = rp.IntrospectionURL
			in, err := conf.Introspect(ctx, token, hint)
			if err != nil {
				return at("the introspection endpoint", "--introspection-url", rp.IntrospectionURL, err)
			}
			if asJSON {
				b, _ := json.MarshalIndent(introspectionJSON(in), "", "  ")
				fmt.Fprintln(a.Out, safeJSON(b))
				return nil
			}
			return writeIntrospection(a.Out, in, a.now())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the answer as JSON (RFC 7662 member names)")
	cmd.Flags().StringVar(&hint, "hint", "", "token_type_hint: access_token or refresh_token")
	return cmd
}

// tokenArg returns the token of a command that takes TOKEN|-: stdin (a
// no-echo prompt on a terminal) for '-' or no argument; an argument is
// used with a warning, since argv is public.
func (a *App) tokenArg(args []string) (string, error) {
	if len(args) == 1 && args[0] != "-" {
		fmt.Fprintln(a.Err, "tokenward: warning: a token in the command line is visible in the process list; pipe it to stdin instead")
		return strings.TrimSpace(args[0]), nil
	}
	in := bufio.NewReaderSize(io.LimitReader(a.In, maxCredentialFile), 4096)
	tok, err := a.readSecret(in, !isTerminal(a.In), "Token: ")
	if err != nil {
		return "", err
	}
	if tok = strings.TrimSpace(tok); tok == "" {
		return "", usageError("no token on stdin")
	}
	return tok, nil
}

// introspectionInfo is the JSON form of an introspection answer.
type introspectionInfo map[string]any

// introspectionJSON returns in with RFC 7662 member names, times as
// seconds since the epoch.
func introspectionJSON(in *client.Introspection) introspectionInfo {
	out := introspectionInfo{}
	for k, v := range in.Extra {
		out[k] = v
	}
	out["active"] = in.Active
	str := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	str("scope", in.Scope)
	str("client_id", in.ClientID)
	str("username", in.Username)
	str("token_type", in.TokenType)
	str("sub", in.Subject)
	str("iss", in.Issuer)
	str("jti", in.JWTID)
	if len(in.Audience) > 0 {
		out["aud"] = in.Audience
	}
	for k, t := range map[string]time.Time{"exp": in.Expiry, "iat": in.IssuedAt, "nbf": in.NotBefore} {
		if !t.IsZero() {
			out[k] = t.Unix()
		}
	}
	return out
}

// writeIntrospection prints in as aligned "name: value" lines, every
// server string sanitised.
func writeIntrospection(w io.Writer, in *client.Introspection, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", safe(oneLine(k, 64)), safe(oneLine(v, 2000)))
		}
	}
	line("active", fmt.Sprint(in.Active))
	line("scope", in.Scope)
	line("client_id", in.ClientID)
	line("username", in.Username)
	line("token_type", in.TokenType)
	line("sub", in.Subject)
	line("aud", strings.Join(in.Audience, ", "))
	line("iss", in.Issuer)
	line("jti", in.JWTID)
	for _, t := range []struct {
		k string
		v time.Time
	}{{"exp", in.Expiry}, {"iat", in.IssuedAt}, {"nbf", in.NotBefore}} {
		if t.v.IsZero() {
			continue
		}
		rel := "ago"
		d := now.Sub(t.v)
		if d < 0 {
			rel, d = "from now", -d
		}
		line(t.k, fmt.Sprintf("%s (%s %s)", t.v.Local().Format(time.DateTime), d.Round(time.Second), rel))
	}
	keys := make([]string, 0, len(in.Extra))
	for k := range in.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, err := json.Marshal(in.Extra[k])
		if err != nil {
			continue
		}
		v := string(b)
		if s, ok := in.Extra[k].(string); ok {
			v = s
		}
		line(k, v)
	}
	return tw.Flush()
}
