package cli

import (
	"fmt"
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
profile sets redirect_port, at the path /callback. The browser gets a
one-time http://127.0.0.1:PORT/start/... URL that redirects to the server,
so the state and PKCE challenge stay off every command line; the listener
accepts one redirect, from that browser, with the right state.`,
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
