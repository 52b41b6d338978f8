package cli

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
)

// Grant names, as written in profiles.
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantAuthorizationCode = "authorization_code"
	GrantImplicit          = "implicit"
	GrantDevice            = "device"
	GrantTokenExchange     = "token_exchange" // RFC 8693
)

// Grants lists the grants a profile may name.
var Grants = []string{GrantClientCredentials, GrantPassword, GrantAuthorizationCode, GrantImplicit, GrantDevice, GrantTokenExchange}

// Auth styles, as written in profiles.
const (
	AuthBasic = "basic" // HTTP Basic
	AuthBody  = "body"  // client_id and client_secret in the request body
	AuthNone  = "none"  // public client: client_id only
	AuthAuto  = "auto"  // try Basic, fall back to the body on invalid_client
)

// Body formats, as written in profiles.
const (
	BodyForm = "form"
	BodyJSON = "json"
)

// Profile describes one client at one authorization server. Endpoints are
// given directly or discovered from Issuer at use time. It holds no
// secret: the client secret and the tokens are kept in the OS keychain
// under the profile's name.
type Profile struct {
	Issuer        string `json:"issuer,omitempty"`
	AuthURL       string `json:"auth_url,omitempty"`
	TokenURL      string `json:"token_url,omitempty"`
	DeviceAuthURL string `json:"device_auth_url,omitempty"`
	RevocationURL string `json:"revocation_url,omitempty"`
	// IntrospectionURL is the RFC 7662 endpoint of 'tokenward introspect'.
	IntrospectionURL string `json:"introspection_url,omitempty"`

	ClientID   string            `json:"client_id"`
	Grant      string            `json:"grant"`
	AuthStyle  string            `json:"auth_style,omitempty"`
	BodyFormat string            `json:"body_format,omitempty"`
	Scopes     []string          `json:"scopes,omitempty"`
	Params     map[string]string `json:"params,omitempty"`
	// RedirectPort fixes the loopback redirect port; 0 picks a free one.
	RedirectPort int `json:"redirect_port,omitempty"`
	// Username is the resource owner for the password grant (optional:
	// login asks when it is empty).
	Username string `json:"username,omitempty"`
	// HasSecret records that a client secret is stored in the keychain.
	HasSecret bool `json:"has_secret,omitempty"`
	// Preset records the preset the profile was made from, for display.
	Preset string `json:"preset,omitempty"`

	// PrivateKey is the path of a PEM private key that signs
	// private_key_jwt client assertions (RFC 7523 §2.2), with KeyID as
	// their kid. The config file holds the path, never the key.
	PrivateKey string `json:"private_key,omitempty"`
	KeyID      string `json:"key_id,omitempty"`
	// AssertionFile is the path of a client assertion minted elsewhere
	// (a Kubernetes projected service-account token), read for every
	// request.
	AssertionFile string `json:"assertion_file,omitempty"`
	// ClientCert and ClientKey are the PEM files of the TLS client
	// certificate for mutual-TLS client authentication (RFC 8705).
	ClientCert string `json:"client_cert,omitempty"`
	ClientKey  string `json:"client_key,omitempty"`
	// DPoP binds the profile's tokens to a P-256 key kept in the store
	// (RFC 9449).
	DPoP bool `json:"dpop,omitempty"`
	// Exchange is the token exchange of a token_exchange profile.
	Exchange *Exchange `json:"exchange,omitempty"`
	// RegistrationClientURI is where 'tokenward register' registered the
	// client (RFC 7592); its access token is in the store.
	RegistrationClientURI string `json:"registration_client_uri,omitempty"`
}

// Exchange is an RFC 8693 token exchange: the subject token comes from a
// file (re-read for every exchange) or from another profile's token; an
// actor token, if any, from a file re-read for every exchange.
type Exchange struct {
	SubjectTokenFile   string   `json:"subject_token_file,omitempty"`
	SubjectProfile     string   `json:"subject_profile,omitempty"`
	SubjectTokenType   string   `json:"subject_token_type"`
	ActorTokenFile     string   `json:"actor_token_file,omitempty"`
	ActorTokenType     string   `json:"actor_token_type,omitempty"`
	RequestedTokenType string   `json:"requested_token_type,omitempty"`
	Audience           []string `json:"audience,omitempty"`
	Resource           []string `json:"resource,omitempty"`
}

var profileNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// validName reports whether name may name a profile.
func validName(name string) bool { return profileNameRe.MatchString(name) }

// Validate checks a profile for completeness and consistency.
func (p *Profile) Validate() error {
	var errs []string
	if p.ClientID == "" {
		errs = append(errs, "client ID is empty (--client-id)")
	}
	if !slices.Contains(Grants, p.Grant) {
		errs = append(errs, fmt.Sprintf("grant %q is not one of %s", p.Grant, strings.Join(Grants, ", ")))
	}
	switch p.AuthStyle {
	case "", AuthBasic, AuthBody, AuthNone, AuthAuto:
	default:
		errs = append(errs, fmt.Sprintf("auth style %q is not one of basic, body, none, auto", p.AuthStyle))
	}
	switch p.BodyFormat {
	case "", BodyForm, BodyJSON:
	default:
		errs = append(errs, fmt.Sprintf("body format %q is not one of form, json", p.BodyFormat))
	}
	if p.RedirectPort < 0 || p.RedirectPort > 65535 {
		errs = append(errs, fmt.Sprintf("redirect port %d is out of range", p.RedirectPort))
	}
	for _, u := range []struct{ name, v string }{
		{"issuer", p.Issuer}, {"auth URL", p.AuthURL}, {"token URL", p.TokenURL},
		{"device auth URL", p.DeviceAuthURL}, {"revocation URL", p.RevocationURL},
		{"introspection URL", p.IntrospectionURL},
	} {
		if u.v == "" {
			continue
		}
		if pu, err := url.Parse(u.v); err == nil && strings.Contains(pu.Host, "{") {
			errs = append(errs, fmt.Sprintf("%s %q has an unfilled placeholder", u.name, u.v))
		} else if err := checkSecureURL(u.name, u.v); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if p.Issuer == "" {
		if p.TokenURL == "" {
			errs = append(errs, "token URL is empty (--token-url, or --issuer for discovery)")
		}
		switch p.Grant {
		case GrantAuthorizationCode, GrantImplicit:
			if p.AuthURL == "" {
				errs = append(errs, "auth URL is empty (--auth-url, or --issuer for discovery)")
			}
		case GrantDevice:
			if p.DeviceAuthURL == "" {
				errs = append(errs, "device auth URL is empty (--device-auth-url, or --issuer for discovery)")
			}
		}
	}
	if p.Grant == GrantClientCredentials && p.AuthStyle == AuthNone && !p.hasClientAuth() {
		errs = append(errs, "the client_credentials grant needs a client secret, a private key, an assertion file or a client certificate (auth style none)")
	}
	errs = append(errs, p.validateCredentials()...)
	errs = append(errs, p.validateExchange()...)
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// userGrant reports whether the profile's grant involves a user, so that
// tokens come from 'tokenward login' and are renewed with refresh tokens.
func (p *Profile) userGrant() bool {
	return p.Grant != GrantClientCredentials && p.Grant != GrantTokenExchange
}

// authStyle maps the profile's auth style to x/oauth2's.
func (p *Profile) authStyle() oauth2.AuthStyle {
	switch p.AuthStyle {
	case AuthBasic:
		return oauth2.AuthStyleInHeader
	case AuthBody, AuthNone:
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleAutoDetect
}

// bodyFormat maps the profile's body format to package client's.
func (p *Profile) bodyFormat() client.BodyFormat {
	if p.BodyFormat == BodyJSON {
		return client.JSONBody
	}
	return client.FormBody
}

// params returns the profile's extra parameters as url.Values.
func (p *Profile) params() url.Values {
	if len(p.Params) == 0 {
		return nil
	}
	v := url.Values{}
	for k, val := range p.Params {
		v.Set(k, val)
	}
	return v
}

// authParams returns the extra parameters as authorization request options.
func (p *Profile) authParams() []client.RequestOption {
	var opts []client.RequestOption
	for k, v := range p.Params {
		opts = append(opts, client.SetParam(k, v))
	}
	return opts
}
