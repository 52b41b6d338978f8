package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenward/tokenward/cache/keychain"
	"github.com/tokenward/tokenward/client"
)

// profileFlags are the flags of 'tokenward profile add'.
type profileFlags struct {
	preset                                          string
	domain, tenant, realm                           string
	issuer, authURL, tokenURL, deviceURL, revokeURL string
	introspectURL                                   string
	clientID, grant, authStyle, bodyFormat          string
	scopes                                          []string
	params                                          []string
	redirectPort                                    int
	username                                        string
	secretStdin                                     bool
	secretEnv                                       string
	noSecret                                        bool
	makeDefault, force                              bool

	privateKey, keyID, assertionFile string
	clientCert, clientKey            string
	dpop                             bool

	subjectTokenFile, subjectProfile     string
	subjectTokenType, requestedTokenType string
	actorTokenFile, actorTokenType       string
	audience, resource                   []string
}

// newProfileCommand builds 'tokenward profile'.
func (a *App) newProfileCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Manage profiles (add, list, show, remove)",
	}
	cmd.AddCommand(a.newProfileAddCommand(), a.newProfileListCommand(), a.newProfileShowCommand(), a.newProfileRemoveCommand())
	return cmd
}

// newProfileAddCommand builds 'tokenward profile add'.
func (a *App) newProfileAddCommand() *cobra.Command {
	var f profileFlags
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a profile (the client secret goes to the OS keychain)",
		Long: `Add a profile. Start from a preset or give the endpoints (or an issuer for
RFC 8414 / OpenID Connect discovery at use time) with flags; flags override
the preset.

The client secret is read from stdin (--client-secret-stdin), from an
environment variable (--client-secret-env NAME) or from a no-echo prompt when
stdin is a terminal, and is stored in the OS keychain, never in the config
file. There is deliberately no flag that takes the secret itself.

Presets:
` + presetHelp(),
		Example: `  tokenward profile add acme --preset cognito --domain acme.auth.us-west-2.amazoncognito.com \
      --client-id abc123 --client-secret-stdin < secret.txt
  tokenward profile add office --preset officernd --client-id ID --scope flex.community.members.read \
      --client-secret-env OFFICERND_SECRET
  tokenward profile add work --preset microsoft --tenant contoso.onmicrosoft.com --client-id ID --no-client-secret
  tokenward profile add local --issuer http://127.0.0.1:9400 --client-id cli --grant authorization_code \
      --no-client-secret --scope "openid offline_access"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.profileAdd(cmd, args[0], &f)
		},
	}
	addProfileFlags(cmd, &f, true)
	return cmd
}

// addProfileFlags adds the flags that describe a profile to cmd; withClient
// adds the client ID and secret flags, which 'register' does not take.
func addProfileFlags(cmd *cobra.Command, f *profileFlags, withClient bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.preset, "preset", "", "start from a provider preset ("+strings.Join(PresetNames(), ", ")+")")
	fl.StringVar(&f.domain, "domain", "", "preset template: the provider's host (auth0, okta, keycloak, cognito, json-*)")
	fl.StringVar(&f.tenant, "tenant", "", "preset template: the Microsoft Entra tenant (default common)")
	fl.StringVar(&f.realm, "realm", "", "preset template: the Keycloak realm")
	fl.StringVar(&f.issuer, "issuer", "", "issuer URL: discover the endpoints (RFC 8414 / OIDC) at use time")
	fl.StringVar(&f.authURL, "auth-url", "", "authorization endpoint URL")
	fl.StringVar(&f.tokenURL, "token-url", "", "token endpoint URL")
	fl.StringVar(&f.deviceURL, "device-auth-url", "", "device authorization endpoint URL")
	fl.StringVar(&f.revokeURL, "revocation-url", "", "token revocation (RFC 7009) endpoint URL")
	fl.StringVar(&f.introspectURL, "introspection-url", "", "token introspection (RFC 7662) endpoint URL, for 'tokenward introspect'")
	if withClient {
		fl.StringVar(&f.clientID, "client-id", "", "client ID")
	}
	fl.StringVar(&f.grant, "grant", "", "grant: "+strings.Join(Grants, ", "))
	fl.StringVar(&f.authStyle, "auth-style", "", "client authentication: basic, body, none (a public client: same as --no-client-secret), auto (default auto)")
	fl.StringVar(&f.bodyFormat, "body-format", "", "token request body: form, json (default form)")
	fl.StringSliceVar(&f.scopes, "scope", nil, "scopes (repeat, or separate with spaces or commas)")
	fl.StringArrayVar(&f.params, "param", nil, "extra request parameter KEY=VALUE (repeatable), e.g. audience=https://api")
	fl.IntVar(&f.redirectPort, "redirect-port", 0, "fixed loopback redirect port (default: a random free port)")
	fl.StringVar(&f.username, "username", "", "resource owner for the password grant")
	if withClient {
		fl.BoolVar(&f.secretStdin, "client-secret-stdin", false, "read the client secret from stdin")
		fl.StringVar(&f.secretEnv, "client-secret-env", "", "read the client secret from this environment variable")
	}
	fl.BoolVar(&f.noSecret, "no-client-secret", false, "public client: no client secret (auth style none)")
	fl.BoolVar(&f.makeDefault, "default", false, "make this the default profile")
	fl.BoolVar(&f.force, "force", false, "replace an existing profile (its stored tokens are deleted)")
	fl.StringVar(&f.privateKey, "private-key", "", "private_key_jwt: PEM private key file (PKCS#8, PKCS#1 RSA or SEC1 EC; mode 0600) signing client assertions")
	fl.StringVar(&f.keyID, "key-id", "", "private_key_jwt: the key's kid, as registered at the server")
	fl.StringVar(&f.assertionFile, "assertion-file", "", "client assertion file minted elsewhere, re-read for every request (Kubernetes projected service-account token)")
	fl.StringVar(&f.clientCert, "client-cert", "", "mutual TLS (RFC 8705): PEM client certificate file")
	fl.StringVar(&f.clientKey, "client-key", "", "mutual TLS: PEM private key file of --client-cert (mode 0600)")
	fl.BoolVar(&f.dpop, "dpop", false, "bind tokens to a DPoP key (RFC 9449) made now and kept in the store")
	fl.StringVar(&f.subjectTokenFile, "subject-token-file", "", "token exchange (RFC 8693): file holding the subject token, re-read for every exchange")
	fl.StringVar(&f.subjectProfile, "subject-profile", "", "token exchange: the profile whose access token is the subject token")
	fl.StringVar(&f.subjectTokenType, "subject-token-type", "", "token exchange: access_token, jwt, id_token, ... or a URI (default access_token for --subject-profile, jwt for --subject-token-file)")
	fl.StringVar(&f.actorTokenFile, "actor-token-file", "", "token exchange: file holding the actor token (the party acting for the subject), re-read for every exchange")
	fl.StringVar(&f.actorTokenType, "actor-token-type", "", "token exchange: the actor token's type, short name or URI (default jwt)")
	fl.StringVar(&f.requestedTokenType, "requested-token-type", "", "token exchange: the token type to ask for (short name or URI)")
	fl.StringArrayVar(&f.audience, "audience", nil, "token exchange: audience of the new token (repeatable)")
	fl.StringArrayVar(&f.resource, "resource", nil, "token exchange: resource URI of the new token (repeatable)")
	if withClient {
		cmd.MarkFlagsMutuallyExclusive("client-secret-stdin", "client-secret-env", "no-client-secret")
	}
	cmd.MarkFlagsMutuallyExclusive("private-key", "assertion-file")
	cmd.MarkFlagsMutuallyExclusive("subject-token-file", "subject-profile")
	cmd.MarkFlagsRequiredTogether("client-cert", "client-key")
}

// presetHelp lists the presets for --help.
func presetHelp() string {
	var b strings.Builder
	for _, n := range PresetNames() {
		fmt.Fprintf(&b, "  %-14s %s\n", n, Presets[n].Description)
	}
	return strings.TrimRight(b.String(), "\n")
}

// buildProfile makes a profile from a preset and the flags.
func buildProfile(f *profileFlags) (*Profile, error) {
	var p Profile
	if f.preset != "" {
		var err error
		p, err = ApplyPreset(f.preset, map[string]string{"domain": f.domain, "tenant": f.tenant, "realm": f.realm})
		if err != nil {
			return nil, err
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&p.Issuer, f.issuer)
	set(&p.AuthURL, f.authURL)
	set(&p.TokenURL, f.tokenURL)
	set(&p.DeviceAuthURL, f.deviceURL)
	set(&p.RevocationURL, f.revokeURL)
	set(&p.IntrospectionURL, f.introspectURL)
	set(&p.ClientID, f.clientID)
	set(&p.Grant, f.grant)
	set(&p.AuthStyle, f.authStyle)
	set(&p.BodyFormat, f.bodyFormat)
	set(&p.Username, f.username)
	if p.Grant == "" {
		p.Grant = GrantAuthorizationCode
	}
	if p.AuthStyle == "" {
		p.AuthStyle = AuthAuto
	}
	if p.BodyFormat == "" {
		p.BodyFormat = BodyForm
	}
	if f.noSecret {
		p.AuthStyle = AuthNone
	}
	if len(f.scopes) > 0 {
		p.Scopes = splitScopes(f.scopes)
	}
	for _, kv := range f.params {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--param %q is not KEY=VALUE", kv)
		}
		if slices.Contains(secretKeys, k) {
			return nil, fmt.Errorf("--param %s would store a secret in the config file", k)
		}
		if p.Params == nil {
			p.Params = map[string]string{}
		}
		p.Params[k] = v
	}
	if f.redirectPort != 0 {
		p.RedirectPort = f.redirectPort
	}
	if err := setCredentialFlags(&p, f); err != nil {
		return nil, err
	}
	return &p, p.Validate()
}

// setCredentialFlags sets the credential files (as absolute paths), DPoP
// and the token exchange of a profile from the flags.
func setCredentialFlags(p *Profile, f *profileFlags) error {
	for _, c := range []struct {
		dst  *string
		path string
	}{{&p.PrivateKey, f.privateKey}, {&p.AssertionFile, f.assertionFile}, {&p.ClientCert, f.clientCert}, {&p.ClientKey, f.clientKey}} {
		if c.path == "" {
			continue
		}
		abs, err := filepath.Abs(c.path)
		if err != nil {
			return err
		}
		*c.dst = abs
	}
	p.KeyID = f.keyID
	p.DPoP = f.dpop
	if f.subjectTokenFile == "" && f.subjectProfile == "" && f.subjectTokenType == "" && f.requestedTokenType == "" &&
		f.actorTokenFile == "" && f.actorTokenType == "" && len(f.audience) == 0 && len(f.resource) == 0 {
		return nil
	}
	if f.grant == "" {
		p.Grant = GrantTokenExchange
	}
	x := &Exchange{SubjectProfile: f.subjectProfile, Audience: f.audience, Resource: f.resource}
	if f.subjectTokenFile != "" {
		abs, err := filepath.Abs(f.subjectTokenFile)
		if err != nil {
			return err
		}
		x.SubjectTokenFile = abs
	}
	var err error
	if x.SubjectTokenType, err = tokenTypeURI("--subject-token-type", f.subjectTokenType); err != nil {
		return err
	}
	if x.SubjectTokenType == "" {
		x.SubjectTokenType = client.TokenTypeAccessToken
		if x.SubjectTokenFile != "" {
			x.SubjectTokenType = client.TokenTypeJWT
		}
	}
	if x.RequestedTokenType, err = tokenTypeURI("--requested-token-type", f.requestedTokenType); err != nil {
		return err
	}
	if f.actorTokenFile != "" {
		if x.ActorTokenFile, err = filepath.Abs(f.actorTokenFile); err != nil {
			return err
		}
	}
	if x.ActorTokenType, err = tokenTypeURI("--actor-token-type", f.actorTokenType); err != nil {
		return err
	}
	if x.ActorTokenType == "" && x.ActorTokenFile != "" {
		x.ActorTokenType = client.TokenTypeJWT
	}
	p.Exchange = x
	return nil
}

// splitScopes splits scope flags on spaces and commas.
func splitScopes(in []string) []string {
	var out []string
	for _, s := range in {
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' }) {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// profileAdd implements 'tokenward profile add'.
func (a *App) profileAdd(cmd *cobra.Command, name string, f *profileFlags) error {
	if !validName(name) {
		return usageError("profile name %q: use letters, digits, '.', '_' and '-' (at most 64)", name)
	}
	p, err := buildProfile(f)
	if err != nil {
		return configError(name, err.Error(), "see 'tokenward profile add --help'")
	}
	if err := p.checkCredentialFiles(); err != nil {
		return configError(name, err.Error(), "see 'tokenward profile add --help'")
	}
	cf, err := a.loadConfig()
	if err != nil {
		return err
	}
	_, exists := cf.Profiles[name]
	if exists && !f.force {
		return configError(name, "profile exists", "use --force to replace it, or 'tokenward profile remove "+shellQuote(name)+"'")
	}
	if err := checkSubjectChain(cf, name, p); err != nil {
		return configError(name, err.Error(), "see 'tokenward profile list'")
	}
	secret, err := a.readClientSecret(f, p)
	if err != nil {
		return Classify(name, err)
	}
	ctx := cmd.Context()
	if secret != "" {
		if err := a.store().Save(ctx, secretKey(name), []byte(secret), time.Time{}); err != nil {
			return keychainError(name, "cannot store the client secret", err)
		}
		p.HasSecret = true
	} else if exists {
		if err := a.store().Delete(ctx, secretKey(name)); err != nil {
			return keychainError(name, "cannot delete the old client secret", err)
		}
	}
	// A replaced profile may name another client or server: its tokens,
	// DPoP key and registration access token go.
	if exists {
		for _, k := range []string{tokenKey(name), dpopKeyKey(name), registrationTokenKey(name)} {
			if err := a.store().Delete(ctx, k); err != nil {
				return keychainError(name, "cannot delete the old tokens and keys", err)
			}
		}
	}
	if p.DPoP {
		if _, err := a.createDPoPKey(ctx, name); err != nil {
			return err
		}
	}
	cf.Profiles[name] = p
	if f.makeDefault || len(cf.Profiles) == 1 {
		cf.Default = name
	}
	if err := a.saveConfig(cf); err != nil {
		return err
	}
	where := p.credentialSummary()
	fmt.Fprintf(a.Out, "Added profile %q (%s grant, %s) to %s.\n", name, p.Grant, where, a.cfgPath)
	return nil
}

// readClientSecret reads the client secret as the flags say: stdin, an
// environment variable, or a no-echo prompt on a terminal.
func (a *App) readClientSecret(f *profileFlags, p *Profile) (string, error) {
	switch {
	case f.noSecret || p.AuthStyle == AuthNone:
		return "", nil
	case p.hasClientAuth() && f.secretEnv == "" && !f.secretStdin:
		return "", nil // the key, assertion or certificate authenticates the client
	case f.secretEnv != "":
		v, ok := os.LookupEnv(f.secretEnv)
		if !ok || v == "" {
			return "", usageError("environment variable %s is empty or unset", f.secretEnv)
		}
		return v, nil
	case f.secretStdin:
		s, err := a.readSecret(bufio.NewReader(a.In), true, "")
		if err != nil {
			return "", err
		}
		if s == "" {
			return "", usageError("--client-secret-stdin: stdin is empty")
		}
		return s, nil
	}
	s, err := a.readSecret(bufio.NewReader(a.In), false, "Client secret (empty for a public client): ")
	if err != nil {
		return "", err
	}
	if s == "" && p.Grant == GrantClientCredentials {
		return "", usageError("the client_credentials grant needs a client secret: pass --client-secret-stdin or --client-secret-env NAME")
	}
	return s, nil
}

// newProfileListCommand builds 'tokenward profile list'.
func (a *App) newProfileListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List profiles",
		Example: "  tokenward profile list",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cf, err := a.loadConfig()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PROFILE\tGRANT\tCLIENT ID\tSERVER")
			for _, n := range cf.Names() {
				p := cf.Profiles[n]
				server := p.Issuer
				if server == "" {
					server = p.TokenURL
				}
				if n == cf.Default {
					n += " (default)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", n, p.Grant, p.ClientID, server)
			}
			return tw.Flush()
		},
	}
}

// newProfileShowCommand builds 'tokenward profile show'.
func (a *App) newProfileShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "show [NAME]",
		Short:   "Show a profile (never its secret)",
		Example: "  tokenward profile show acme",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				a.profileName = args[0]
			}
			name, p, err := a.profile()
			if err != nil {
				return err
			}
			out := struct {
				Name string `json:"name"`
				*Profile
				ClientSecret string `json:"client_secret"`
			}{name, p, "none"}
			if p.HasSecret {
				out.ClientSecret = "stored in the OS keychain"
				if data, err := a.store().Load(cmd.Context(), secretKey(name)); err != nil {
					out.ClientSecret = "stored in the OS keychain (unreadable now: " + trimPrefix(err.Error()) + ")"
				} else if data == nil {
					out.ClientSecret = "MISSING from the OS keychain: re-add the profile with --force"
				}
			}
			b, _ := json.MarshalIndent(out, "", "  ")
			fmt.Fprintln(a.Out, safeJSON(b))
			return nil
		},
	}
}

// newProfileRemoveCommand builds 'tokenward profile remove'.
func (a *App) newProfileRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm"},
		Short:   "Remove a profile, its client secret and its tokens (without revoking)",
		Example: "  tokenward logout -p acme && tokenward profile remove acme",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			cf, err := a.loadConfig()
			if err != nil {
				return err
			}
			if _, ok := cf.Profiles[name]; !ok {
				return configError(name, "no such profile", "see 'tokenward profile list'")
			}
			ctx := cmd.Context()
			for _, k := range profileStoreKeys(name) {
				err := a.store().Delete(ctx, k)
				if errors.Is(err, keychain.ErrUnavailable) {
					// The profile goes anyway; say what may be left behind.
					fmt.Fprintf(a.Err, "tokenward: warning: profile %q: the OS keychain is unavailable, so its client secret, tokens and keys (service %q, keys %s) may remain there: delete them when it is back\n",
						name, KeychainService, strings.Join(profileStoreKeys(name), ", "))
					break
				}
				if err != nil {
					return keychainError(name, "cannot delete from the store", err)
				}
			}
			delete(cf.Profiles, name)
			if cf.Default == name {
				cf.Default = ""
			}
			if err := a.saveConfig(cf); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "Removed profile %q.\n", name)
			return nil
		},
	}
}
