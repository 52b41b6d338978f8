package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/cli/browser"
	"golang.org/x/oauth2"
	"golang.org/x/term"

	"github.com/tokenward/tokenward/client"
)

// loginOptions are the flags of 'tokenward login'.
type loginOptions struct {
	device        bool
	noBrowser     bool
	timeout       time.Duration
	username      string
	passwordStdin bool
}

// login runs the profile's interactive grant and stores the token.
func (a *App) login(ctx context.Context, name string, p *Profile, o loginOptions) (*oauth2.Token, error) {
	// Fail before the user signs in if the token could not be stored.
	if _, err := a.loadToken(ctx, name); err != nil {
		return nil, err
	}
	conf, rp, err := a.clientConfig(ctx, name, p)
	if err != nil {
		return nil, err
	}
	var tok *oauth2.Token
	switch {
	case o.device || p.Grant == GrantDevice:
		if rp.DeviceAuthURL == "" {
			return nil, configError(name, "no device authorization URL", "set --device-auth-url or --issuer on the profile")
		}
		tok, err = a.deviceLogin(ctx, conf, o)
	case p.Grant == GrantAuthorizationCode, p.Grant == GrantImplicit:
		tok, err = a.browserLogin(ctx, conf, p, o)
	case p.Grant == GrantPassword:
		tok, err = a.passwordLogin(ctx, conf, name, p, o)
	default: // client_credentials: nothing interactive, just fetch a token
		tok, err = conf.ClientCredentialsToken(ctx)
	}
	if err != nil {
		return nil, at("the token endpoint", "--token-url", rp.TokenURL, err)
	}
	if err := a.saveToken(ctx, name, tok); err != nil {
		return nil, err
	}
	return tok, nil
}

// browserLogin runs the authorization code flow with PKCE, or the
// implicit flow, through the user's browser and a loopback redirect.
func (a *App) browserLogin(ctx context.Context, conf *client.Config, p *Profile, o loginOptions) (*oauth2.Token, error) {
	implicit := p.Grant == GrantImplicit
	state := rand.Text()
	lb, err := NewLoopback(p.RedirectPort, state, implicit)
	if err != nil {
		return nil, &Error{Code: ExitGeneric, What: err.Error(), Err: err,
			Hint: "free the port or change the profile's redirect port"}
	}
	defer lb.Close()
	cc := *conf
	cc.RedirectURL = lb.RedirectURL()

	verifier := oauth2.GenerateVerifier()
	opts := p.authParams()
	var authURL string
	switch {
	case implicit:
		authURL = cc.ImplicitURL(state, opts...)
	case cc.PARURL != "": // the server takes pushed requests only (RFC 9126)
		authURL, err = cc.PushAuthCodeURL(ctx, state, append(opts, client.S256Challenge(verifier))...)
		if err != nil {
			return nil, at("the PAR endpoint", "--issuer", cc.PARURL, err)
		}
	default:
		authURL = cc.AuthCodeURL(state, append(opts, client.S256Challenge(verifier))...)
	}

	// The opener's argv is readable by every local user: it gets a
	// one-time loopback URL, never the state or the PKCE challenge.
	startURL := lb.Start(authURL)
	opened := false
	if !o.noBrowser {
		open := a.OpenBrowser
		if open == nil {
			open = browser.OpenURL
		}
		opened = open(startURL) == nil
	}
	if opened {
		fmt.Fprintf(a.Out, "Opened your browser to sign in. If it did not open, visit:\n\n  %s\n\n", startURL)
	} else {
		fmt.Fprintf(a.Out, "Open this URL in your browser to sign in:\n\n  %s\n\n", startURL)
	}
	if u, err := url.Parse(authURL); err == nil {
		fmt.Fprintf(a.Out, "It takes you to %s.\n", safe(originOf(u)))
	}
	fmt.Fprintf(a.Out, "Waiting for the browser to return to %s (timeout %s)…\n", lb.RedirectURL(), o.timeout)

	code, tok, err := lb.Wait(ctx, o.timeout)
	if err != nil {
		return nil, err
	}
	if implicit {
		return tok, nil
	}
	return cc.Exchange(ctx, code, client.Verifier(verifier))
}

// passwordLogin runs the resource owner password credentials grant with
// the user's name and password read from the terminal or stdin.
func (a *App) passwordLogin(ctx context.Context, conf *client.Config, name string, p *Profile, o loginOptions) (*oauth2.Token, error) {
	user := o.username
	if user == "" {
		user = p.Username
	}
	in := bufio.NewReader(a.In)
	if user == "" {
		if o.passwordStdin || !isTerminal(a.In) {
			return nil, usageError("the password grant needs --username (or a username in the profile)")
		}
		fmt.Fprint(a.Err, "Username: ")
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return nil, usageError("no username given")
		}
		user = strings.TrimSpace(line)
	}
	pass, err := a.readSecret(in, o.passwordStdin, "Password for "+user+": ")
	if err != nil {
		return nil, err
	}
	if pass == "" {
		return nil, usageError("no password given (use --password-stdin or a terminal)")
	}
	tok, err := conf.PasswordCredentialsToken(ctx, user, pass)
	if isInvalidGrant(err) {
		// In the password grant, invalid_grant means the credentials were
		// refused (RFC 6749 §5.2), not that an earlier login expired.
		var re *oauth2.RetrieveError
		errors.As(err, &re)
		return nil, &Error{Code: ExitAuth, What: retrieveWhat(re) + ": wrong username or password for " + shellQuote(user),
			Hint: "check them and run 'tokenward login" + profileFlag(name) + "' again", Err: err}
	}
	return tok, err
}

// readSecret reads one secret line: from stdin when fromStdin, else from
// the terminal without echo. It returns "" when neither is possible.
func (a *App) readSecret(in *bufio.Reader, fromStdin bool, prompt string) (string, error) {
	if fromStdin {
		line, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := a.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", nil
	}
	fmt.Fprint(a.Err, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.Err)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
