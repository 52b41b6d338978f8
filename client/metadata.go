package client

import (
	"encoding/json"
	"slices"

	"golang.org/x/oauth2"
)

// Metadata is an authorization server's metadata (RFC 8414), which is
// also what an OpenID Connect discovery document holds. Discover fetches
// and checks it; a Metadata is a plain value that callers may cache,
// build by hand or load from a file. Raw holds the whole document, for
// members this type does not name.
type Metadata struct {
	Issuer                             string `json:"issuer"`
	AuthorizationEndpoint              string `json:"authorization_endpoint,omitempty"`
	TokenEndpoint                      string `json:"token_endpoint,omitempty"`
	DeviceAuthorizationEndpoint        string `json:"device_authorization_endpoint,omitempty"`
	RevocationEndpoint                 string `json:"revocation_endpoint,omitempty"`
	IntrospectionEndpoint              string `json:"introspection_endpoint,omitempty"`
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint,omitempty"`
	RegistrationEndpoint               string `json:"registration_endpoint,omitempty"`
	JWKSURI                            string `json:"jwks_uri,omitempty"`
	UserinfoEndpoint                   string `json:"userinfo_endpoint,omitempty"`
	EndSessionEndpoint                 string `json:"end_session_endpoint,omitempty"`

	ScopesSupported                            []string `json:"scopes_supported,omitempty"`
	ResponseTypesSupported                     []string `json:"response_types_supported,omitempty"`
	ResponseModesSupported                     []string `json:"response_modes_supported,omitempty"`
	GrantTypesSupported                        []string `json:"grant_types_supported,omitempty"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported,omitempty"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported,omitempty"`
	DPoPSigningAlgValuesSupported              []string `json:"dpop_signing_alg_values_supported,omitempty"`
	AuthorizationDetailsTypesSupported         []string `json:"authorization_details_types_supported,omitempty"`
	SubjectTypesSupported                      []string `json:"subject_types_supported,omitempty"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported,omitempty"`
	ClaimsSupported                            []string `json:"claims_supported,omitempty"`

	// RequirePushedAuthorizationRequests says that the server accepts
	// authorization requests only through PAR (RFC 9126 section 5).
	RequirePushedAuthorizationRequests bool `json:"require_pushed_authorization_requests,omitempty"`
	// AuthorizationResponseIssParameterSupported says that authorization
	// responses carry iss (RFC 9207), which a client should then check.
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
	// TLSClientCertificateBoundAccessTokens says that the server binds
	// access tokens to the client's certificate (RFC 8705).
	TLSClientCertificateBoundAccessTokens bool `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	// MTLSEndpointAliases maps metadata member names (token_endpoint,
	// revocation_endpoint, ...) to the URLs a client authenticating with
	// a TLS certificate must use instead (RFC 8705 section 5).
	MTLSEndpointAliases map[string]string `json:"mtls_endpoint_aliases,omitempty"`

	// Raw is the document as the server sent it.
	Raw json.RawMessage `json:"-"`
}

// Endpoint returns the metadata's authorization, device authorization
// and token URLs. Its AuthStyle is oauth2.AuthStyleInParams or
// oauth2.AuthStyleInHeader when the server supports only that one of
// client_secret_post and client_secret_basic, and auto-detection
// otherwise.
func (m *Metadata) Endpoint() oauth2.Endpoint {
	ep := oauth2.Endpoint{
		AuthURL:       m.AuthorizationEndpoint,
		DeviceAuthURL: m.DeviceAuthorizationEndpoint,
		TokenURL:      m.TokenEndpoint,
	}
	basic := slices.Contains(m.TokenEndpointAuthMethodsSupported, authMethodBasic)
	post := slices.Contains(m.TokenEndpointAuthMethodsSupported, authMethodPost)
	switch {
	case post && !basic:
		ep.AuthStyle = oauth2.AuthStyleInParams
	case basic && !post:
		ep.AuthStyle = oauth2.AuthStyleInHeader
	}
	return ep
}

// authMethodsSupported is the client authentication methods the server
// announces for endpoint (a call's endpoint name): the revocation and
// introspection endpoints' own lists when present (RFC 8414 section 2),
// else token_endpoint_auth_methods_supported, which every other endpoint
// that authenticates the client shares.
func (m *Metadata) authMethodsSupported(endpoint string) []string {
	var own []string
	switch endpoint {
	case "revocation":
		own = m.RevocationEndpointAuthMethodsSupported
	case "introspection":
		own = m.IntrospectionEndpointAuthMethodsSupported
	}
	if len(own) > 0 {
		return own
	}
	return m.TokenEndpointAuthMethodsSupported
}

// mtlsURL returns the mTLS alias of the endpoint named member
// ("token_endpoint", ...) if the metadata has one, else def.
func (m *Metadata) mtlsURL(member, def string) string {
	if m != nil {
		if u := m.MTLSEndpointAliases[member]; u != "" {
			return u
		}
	}
	return def
}

// Client authentication methods (RFC 7591 section 2, RFC 8705).
const (
	authMethodBasic     = "client_secret_basic"
	authMethodPost      = "client_secret_post"
	authMethodSecretJWT = "client_secret_jwt"
	authMethodKeyJWT    = "private_key_jwt"
	authMethodNone      = "none"
)

// authMethod is how a request authenticates the client.
type authMethod int

const (
	authAuto      authMethod = iota // try Basic, fall back to the body on invalid_client
	authBasic                       // client_secret_basic
	authPost                        // client_secret_post
	authAssertion                   // the configured ClientAssertion
	authSecretJWT                   // SecretJWT over the client secret
	authNone                        // public client: client_id only
)

// chooseAuthMethod picks the client authentication for a server that
// lists supported in token_endpoint_auth_methods_supported (nil: not
// announced). A configured assertion always wins, even when the server
// does not announce it (advertised reports whether it did): a client
// given an assertion is never downgraded to its secret. A secret goes in
// the header or the body as the server prefers, or signs a
// client_secret_jwt assertion when that is all the server takes.
func chooseAuthMethod(supported []string, haveAssertion, haveSecret bool) (m authMethod, advertised bool) {
	has := func(s string) bool { return slices.Contains(supported, s) }
	switch {
	case haveAssertion:
		return authAssertion, len(supported) == 0 || has(authMethodKeyJWT) || has(authMethodSecretJWT)
	case !haveSecret:
		return authNone, len(supported) == 0 || has(authMethodNone)
	case len(supported) == 0:
		return authAuto, true // RFC 8414: the default is client_secret_basic
	case has(authMethodBasic) && has(authMethodPost):
		return authAuto, true
	case has(authMethodBasic):
		return authBasic, true
	case has(authMethodPost):
		return authPost, true
	case has(authMethodSecretJWT):
		return authSecretJWT, true
	default:
		return authAuto, false
	}
}
