package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/spf13/cobra"

	"github.com/tokenward/tokenward/client"
)

// registerFlags are the flags of 'tokenward register' beyond a profile's.
type registerFlags struct {
	profileFlags
	registrationURL string
	redirectURIs    []string
	clientName      string
	authMethod      string
	read, delete    bool
}

// newRegisterCommand builds 'tokenward register'.
func (a *App) newRegisterCommand() *cobra.Command {
	var f registerFlags
	cmd := &cobra.Command{
		Use:   "register NAME",
		Short: "Register a client (RFC 7591) and add a profile for it",
		Long: `Register a new client at the server's dynamic client registration endpoint
(RFC 7591: --registration-url, or the registration_endpoint discovered from
--issuer) and add profile NAME for it, as 'tokenward profile add' would with
the client ID the server issued.

The client secret and the registration access token (RFC 7592) that the
server returns go to the OS keychain (or the file store), never to the config
file, and are never printed: there is deliberately no flag that shows them,
since a registration's output ends up in terminals and CI logs. The profile
keeps the registration's management URI.

By default the client asks for the grant of --grant (authorization_code
with a loopback redirect URI, http://127.0.0.1/callback, which RFC 8252
servers accept on any port, unless --redirect-uri or --redirect-port is
given); --auth-method chooses its token_endpoint_auth_method
(--no-client-secret means none).

With --read or --delete (RFC 7592), NAME is a profile that 'tokenward
register' made: --read prints the server's current metadata of its client
(never the secret or the registration access token, and storing new ones
the server rotated), --delete deletes the client at the server with the
stored registration access token, then the stored secrets and tokens.`,
		Example: `  tokenward register dev --issuer https://as.example.com --scope "openid offline_access"
  tokenward register svc --registration-url https://as.example.com/reg --grant client_credentials \
      --token-url https://as.example.com/token --client-name "nightly job"
  tokenward register --read dev
  tokenward register --delete dev`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.read || f.delete {
				if err := checkManageFlags(cmd); err != nil {
					return err
				}
				if f.read {
					return a.readRegistration(cmd.Context(), args[0])
				}
				return a.deleteRegistration(cmd.Context(), args[0])
			}
			return a.register(cmd.Context(), args[0], &f)
		},
	}
	addProfileFlags(cmd, &f.profileFlags, false)
	fl := cmd.Flags()
	fl.StringVar(&f.registrationURL, "registration-url", "", "RFC 7591 registration endpoint (default: discovered from --issuer)")
	fl.StringArrayVar(&f.redirectURIs, "redirect-uri", nil, "redirect URI to register (repeatable; default: the loopback callback for browser grants)")
	fl.StringVar(&f.clientName, "client-name", "tokenward", "client_name to register")
	fl.StringVar(&f.authMethod, "auth-method", "", "token_endpoint_auth_method to ask for (default: the server's, none with --no-client-secret)")
	fl.BoolVar(&f.read, "read", false, "RFC 7592: print the server's current metadata of profile NAME's registered client (never its secrets)")
	fl.BoolVar(&f.delete, "delete", false, "RFC 7592: delete profile NAME's client at the server, then its stored secrets and tokens")
	cmd.MarkFlagsMutuallyExclusive("read", "delete")
	return cmd
}

// grantTypes returns the RFC 7591 grant_types and response_types of a
// profile's grant.
func grantTypes(grant string) (grants, responses []string) {
	switch grant {
	case GrantAuthorizationCode:
		return []string{"authorization_code", "refresh_token"}, []string{"code"}
	case GrantImplicit:
		return []string{"implicit"}, []string{"token"}
	case GrantDevice:
		return []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"}, []string{}
	case GrantPassword:
		return []string{"password", "refresh_token"}, []string{}
	case GrantTokenExchange:
		return []string{client.GrantTypeTokenExchange}, []string{}
	}
	return []string{"client_credentials"}, []string{}
}

// authStyleOf maps a registered token_endpoint_auth_method to the
// profile's auth style.
func authStyleOf(method string) string {
	switch method {
	case "client_secret_basic":
		return AuthBasic
	case "client_secret_post":
		return AuthBody
	case "none":
		return AuthNone
	}
	return AuthAuto
}

// register implements 'tokenward register'.
func (a *App) register(ctx context.Context, name string, f *registerFlags) error {
	if !validName(name) {
		return usageError("profile name %q: use letters, digits, '.', '_' and '-' (at most 64)", name)
	}
	f.clientID = "registering" // replaced by the issued client_id; lets the profile validate now
	p, err := buildProfile(&f.profileFlags)
	if err == nil {
		err = p.checkCredentialFiles()
	}
	if err != nil {
		return configError(name, err.Error(), "see 'tokenward register --help'")
	}
	cf, err := a.loadConfig()
	if err != nil {
		return err
	}
	if _, exists := cf.Profiles[name]; exists && !f.force {
		return configError(name, "profile exists", "use --force to replace it, or 'tokenward profile remove "+shellQuote(name)+"'")
	}
	if err := checkSubjectChain(cf, name, p); err != nil {
		return configError(name, err.Error(), "see 'tokenward profile list'")
	}
	base, err := a.profileTransport(name, p)
	if err != nil {
		return err
	}
	hc := newHTTPClient(base)
	regURL := f.registrationURL
	if regURL == "" {
		if p.Issuer == "" {
			return usageError("give --registration-url, or --issuer to discover it")
		}
		md, err := client.Discover(ctx, p.Issuer, hc)
		if err != nil {
			return &Error{Code: ExitNetwork, Profile: name, What: trimPrefix(err.Error()), Err: err, Hint: "check --issuer"}
		}
		if md.RegistrationEndpoint == "" {
			return configError(name, "the issuer's metadata names no registration_endpoint", "give --registration-url")
		}
		regURL = md.RegistrationEndpoint
	}
	if err := checkSecureURL("registration URL", regURL); err != nil {
		return configError(name, err.Error(), "")
	}
	md, err := registrationMetadata(p, f)
	if err != nil {
		return configError(name, err.Error(), "see 'tokenward register --help'")
	}
	reg, err := client.Register(ctx, regURL, md, hc)
	if err != nil {
		return Classify(name, at("the registration endpoint", "--registration-url", regURL, err))
	}
	return a.addRegistered(ctx, cf, name, p, reg, f.makeDefault)
}

// registrationMetadata is the client metadata to register for p. A
// profile with --private-key registers for private_key_jwt with the
// key's public half as its JWK Set (RFC 7591 jwks).
func registrationMetadata(p *Profile, f *registerFlags) (*client.ClientMetadata, error) {
	grants, responses := grantTypes(p.Grant)
	md := &client.ClientMetadata{
		ClientName:    f.clientName,
		GrantTypes:    grants,
		ResponseTypes: responses,
		RedirectURIs:  f.redirectURIs,
		Scope:         strings.Join(p.Scopes, " "),
	}
	if md.RedirectURIs == nil {
		md.RedirectURIs = []string{}
		if p.Grant == GrantAuthorizationCode || p.Grant == GrantImplicit {
			host := "127.0.0.1"
			if p.RedirectPort != 0 {
				host += ":" + strconv.Itoa(p.RedirectPort)
			}
			md.RedirectURIs = []string{"http://" + host + CallbackPath}
			md.ApplicationType = "native"
		}
	}
	if p.PrivateKey != "" {
		jwks, err := publicJWKS(p.PrivateKey, p.KeyID)
		if err != nil {
			return nil, err
		}
		md.JWKS = jwks
		md.TokenEndpointAuthMethod = "private_key_jwt"
	}
	switch {
	case f.authMethod != "":
		md.TokenEndpointAuthMethod = f.authMethod
	case p.AuthStyle == AuthNone && !p.hasClientAuth():
		md.TokenEndpointAuthMethod = "none"
	}
	return md, nil
}

// publicJWKS returns the JWK Set of the public half of the key at path,
// with kid and the algorithm the library signs with for it.
func publicJWKS(path, keyID string) (json.RawMessage, error) {
	key, err := loadPrivateKey(path)
	if err != nil {
		return nil, err
	}
	alg := jose.RS256
	if ec, ok := key.Public().(*ecdsa.PublicKey); ok {
		alg = map[int]jose.SignatureAlgorithm{256: jose.ES256, 384: jose.ES384, 521: jose.ES512}[ec.Curve.Params().BitSize]
	} else if _, ok := key.Public().(ed25519.PublicKey); ok {
		alg = jose.EdDSA
	}
	jwk := jose.JSONWebKey{Key: key.Public(), KeyID: keyID, Use: "sig", Algorithm: string(alg)}
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
	if err != nil {
		return nil, fmt.Errorf("private key %s: cannot encode its public key as a JWK", path)
	}
	return b, nil
}

// addRegistered stores the registered client's secrets and adds its
// profile.
func (a *App) addRegistered(ctx context.Context, cf *ConfigFile, name string, p *Profile, reg *client.Registration, makeDefault bool) error {
	p.ClientID = reg.ClientID
	p.RegistrationClientURI = reg.RegistrationClientURI
	if m := reg.Metadata.TokenEndpointAuthMethod; m != "" {
		p.AuthStyle = authStyleOf(m)
	}
	if reg.ClientSecret == "" && p.AuthStyle != AuthNone && !p.hasClientAuth() {
		p.AuthStyle = AuthNone
	}
	if err := p.Validate(); err != nil {
		return configError(name, "the registered client cannot be used: "+err.Error(), "register with other flags")
	}
	for _, k := range profileStoreKeys(name) {
		if err := a.store().Delete(ctx, k); err != nil {
			return keychainError(name, "cannot delete the old tokens and keys", err)
		}
	}
	p.HasSecret = false
	if reg.ClientSecret != "" {
		if err := a.store().Save(ctx, secretKey(name), []byte(reg.ClientSecret), time.Time{}); err != nil {
			return keychainError(name, "registered client "+shellQuote(safe(reg.ClientID))+", but cannot store its client secret", err)
		}
		p.HasSecret = true
	}
	if reg.RegistrationAccessToken != "" {
		if err := a.store().Save(ctx, registrationTokenKey(name), []byte(reg.RegistrationAccessToken), time.Time{}); err != nil {
			return keychainError(name, "cannot store the registration access token", err)
		}
	}
	if p.DPoP {
		if _, err := a.createDPoPKey(ctx, name); err != nil {
			return err
		}
	}
	cf.Profiles[name] = p
	if makeDefault || len(cf.Profiles) == 1 {
		cf.Default = name
	}
	if err := a.saveConfig(cf); err != nil {
		return err
	}
	expiry := ""
	if !reg.ClientSecretExpiresAt.IsZero() {
		expiry = "; the secret expires " + reg.ClientSecretExpiresAt.Local().Format(time.DateTime)
	}
	fmt.Fprintf(a.Out, "Registered client %s and added profile %q (%s grant, %s%s) to %s.\n",
		shellQuote(safe(oneLine(reg.ClientID, 200))), name, p.Grant, p.credentialSummary(), expiry, a.cfgPath)
	return nil
}
