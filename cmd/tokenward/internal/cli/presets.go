package cli

import (
	"fmt"
	"sort"
	"strings"
)

// Preset is the shape of a known provider: endpoint templates and
// defaults that 'tokenward profile add --preset' starts from. Templates
// may hold {domain}, {tenant} and {realm}, filled from the flags of the
// same names.
type Preset struct {
	Description string
	Profile     Profile
	// Vars are the template variables the preset needs, with defaults
	// ("" means required).
	Vars map[string]string
}

// Presets are the known provider shapes, by name.
var Presets = map[string]Preset{
	// Seed 000: OpenForce on AWS Cognito.
	"cognito": {
		Description: "AWS Cognito user pool domain: client_credentials, HTTP Basic, form body (--domain NAME.auth.REGION.amazoncognito.com)",
		Profile: Profile{
			Grant: GrantClientCredentials, AuthStyle: AuthBasic, BodyFormat: BodyForm,
			TokenURL:      "https://{domain}/oauth2/token",
			AuthURL:       "https://{domain}/oauth2/authorize",
			RevocationURL: "https://{domain}/oauth2/revoke",
		},
		Vars: map[string]string{"domain": ""},
	},
	// Seed 001: password and authorization code, JSON bodies.
	"json-password": {
		Description: "password or authorization_code grant, JSON body, credentials in the body (--domain API host)",
		Profile: Profile{
			Grant: GrantPassword, AuthStyle: AuthBody, BodyFormat: BodyJSON,
			TokenURL: "https://{domain}/oauth/token",
			AuthURL:  "https://{domain}/oauth/authorize",
		},
		Vars: map[string]string{"domain": ""},
	},
	// Seed 002: every grant incl. implicit, JSON bodies, rotating refresh tokens.
	"json-rotating": {
		Description: "all grants incl. implicit, JSON body, credentials in the body, rotating refresh tokens (--domain API host)",
		Profile: Profile{
			Grant: GrantAuthorizationCode, AuthStyle: AuthBody, BodyFormat: BodyJSON,
			TokenURL: "https://{domain}/oauth/token",
			AuthURL:  "https://{domain}/oauth/authorize",
		},
		Vars: map[string]string{"domain": ""},
	},
	// Seed 003: OfficeRnD.
	"officernd": {
		Description: "OfficeRnD: client_credentials, form body, credentials in the body, scopes",
		Profile: Profile{
			Grant: GrantClientCredentials, AuthStyle: AuthBody, BodyFormat: BodyForm,
			TokenURL: "https://identity.officernd.com/oauth/token",
			Scopes:   []string{"flex.community.members.read"},
		},
	},
	"google": {
		Description: "Google: authorization code + PKCE (desktop app client), device flow",
		Profile: Profile{
			Grant: GrantAuthorizationCode, AuthStyle: AuthBody, BodyFormat: BodyForm,
			AuthURL:       "https://accounts.google.com/o/oauth2/v2/auth",
			TokenURL:      "https://oauth2.googleapis.com/token",
			DeviceAuthURL: "https://oauth2.googleapis.com/device/code",
			RevocationURL: "https://oauth2.googleapis.com/revoke",
			Scopes:        []string{"openid", "email"},
			Params:        map[string]string{"access_type": "offline"},
		},
	},
	"github": {
		Description: "GitHub OAuth app: authorization code + PKCE, device flow",
		Profile: Profile{
			Grant: GrantAuthorizationCode, AuthStyle: AuthBody, BodyFormat: BodyForm,
			AuthURL:       "https://github.com/login/oauth/authorize",
			TokenURL:      "https://github.com/login/oauth/access_token",
			DeviceAuthURL: "https://github.com/login/device/code",
			Scopes:        []string{"read:user"},
		},
	},
	"microsoft": {
		Description: "Microsoft Entra ID (v2.0 endpoints): authorization code + PKCE, device flow (--tenant, default common)",
		Profile: Profile{
			Grant: GrantAuthorizationCode, AuthStyle: AuthAuto, BodyFormat: BodyForm,
			AuthURL:       "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
			TokenURL:      "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
			DeviceAuthURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
			Scopes:        []string{"openid", "offline_access"},
		},
		Vars: map[string]string{"tenant": "common"},
	},
	"auth0": {
		Description: "Auth0 tenant: authorization code + PKCE, device flow (--domain TENANT.auth0.com)",
		Profile: Profile{
			Grant: GrantAuthorizationCode, AuthStyle: AuthAuto, BodyFormat: BodyForm,
			AuthURL:       "https://{domain}/authorize",
			TokenURL:      "https://{domain}/oauth/token",
			DeviceAuthURL: "https://{domain}/oauth/device/code",
			RevocationURL: "https://{domain}/oauth/revoke",
			Scopes:        []string{"openid", "offline_access"},
		},
		Vars: map[string]string{"domain": ""},
	},
	"okta": {
		Description: "Okta default authorization server: authorization code + PKCE, device flow (--domain ORG.okta.com)",
		Profile: Profile{
			Grant: GrantAuthorizationCode, AuthStyle: AuthAuto, BodyFormat: BodyForm,
			AuthURL:       "https://{domain}/oauth2/default/v1/authorize",
			TokenURL:      "https://{domain}/oauth2/default/v1/token",
			DeviceAuthURL: "https://{domain}/oauth2/default/v1/device/authorize",
			RevocationURL: "https://{domain}/oauth2/default/v1/revoke",
			Scopes:        []string{"openid", "offline_access"},
		},
		Vars: map[string]string{"domain": ""},
	},
	"keycloak": {
		Description: "Keycloak realm: authorization code + PKCE, device flow (--domain HOST[:PORT], --realm)",
		Profile: Profile{
			Grant: GrantAuthorizationCode, AuthStyle: AuthAuto, BodyFormat: BodyForm,
			AuthURL:       "https://{domain}/realms/{realm}/protocol/openid-connect/auth",
			TokenURL:      "https://{domain}/realms/{realm}/protocol/openid-connect/token",
			DeviceAuthURL: "https://{domain}/realms/{realm}/protocol/openid-connect/auth/device",
			RevocationURL: "https://{domain}/realms/{realm}/protocol/openid-connect/revoke",
			Scopes:        []string{"openid", "offline_access"},
		},
		Vars: map[string]string{"domain": "", "realm": ""},
	},
}

// presetAliases are alternative preset names.
var presetAliases = map[string]string{"entra": "microsoft", "azure": "microsoft"}

// PresetNames returns the preset names in order, aliases excluded.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ApplyPreset returns the named preset's profile with its templates
// filled from vars (domain, tenant, realm). A required variable that is
// missing is an error naming the flag to pass.
func ApplyPreset(name string, vars map[string]string) (Profile, error) {
	if a, ok := presetAliases[name]; ok {
		name = a
	}
	pr, ok := Presets[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown preset %q (known: %s)", name, strings.Join(PresetNames(), ", "))
	}
	vals := map[string]string{}
	for k, def := range pr.Vars {
		v := vars[k]
		if v == "" {
			v = def
		}
		if v == "" {
			return Profile{}, fmt.Errorf("preset %s needs --%s", name, k)
		}
		if k == "domain" {
			v = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(v, "https://"), "http://"), "/")
		}
		vals[k] = v
	}
	p := pr.Profile
	p.Scopes = append([]string(nil), p.Scopes...)
	if p.Params != nil {
		params := make(map[string]string, len(p.Params))
		for k, v := range p.Params {
			params[k] = v
		}
		p.Params = params
	}
	fill := func(s string) string {
		for k, v := range vals {
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
		return s
	}
	p.AuthURL, p.TokenURL = fill(p.AuthURL), fill(p.TokenURL)
	p.DeviceAuthURL, p.RevocationURL = fill(p.DeviceAuthURL), fill(p.RevocationURL)
	p.Preset = name
	return p, nil
}
