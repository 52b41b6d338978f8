package oauth2test

import "net/http"

// metadata is authorization server metadata (RFC 8414), also served as a
// minimal OpenID Connect discovery document.
type metadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethods     []string `json:"revocation_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`

	IntrospectionEndpoint              string   `json:"introspection_endpoint"`
	PushedAuthorizationRequestEndpoint string   `json:"pushed_authorization_request_endpoint"`
	RequirePushedAuthorizationRequests bool     `json:"require_pushed_authorization_requests,omitempty"`
	RegistrationEndpoint               string   `json:"registration_endpoint"`
	TokenEndpointAuthSigningAlgs       []string `json:"token_endpoint_auth_signing_alg_values_supported"`

	DPoPSigningAlgValuesSupported         []string          `json:"dpop_signing_alg_values_supported"`
	TLSClientCertificateBoundAccessTokens bool              `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	MTLSEndpointAliases                   map[string]string `json:"mtls_endpoint_aliases,omitempty"`
}

// Metadata paths (RFC 8414 section 3 and OpenID Connect Discovery).
const (
	MetadataPath     = "/.well-known/oauth-authorization-server"
	OIDCMetadataPath = "/.well-known/openid-configuration"
)

// handleMetadata serves the server's metadata.
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	authMethods := []string{"client_secret_basic", "client_secret_post", "none", "private_key_jwt", "client_secret_jwt"}
	var aliases map[string]string
	if s.clientCAs != nil {
		// One TLS listener serves both: the aliases are the endpoints.
		authMethods = append(authMethods, "tls_client_auth", "self_signed_tls_client_auth")
		aliases = map[string]string{"token_endpoint": s.TokenURL(), "revocation_endpoint": s.RevocationURL(),
			"device_authorization_endpoint": s.DeviceAuthURL(), "introspection_endpoint": s.IntrospectionURL(),
			"pushed_authorization_request_endpoint": s.PARURL()}
	}
	writeJSON(w, http.StatusOK, metadata{
		DPoPSigningAlgValuesSupported:         s.dpop.algorithms(),
		TLSClientCertificateBoundAccessTokens: s.clientCAs != nil,
		MTLSEndpointAliases:                   aliases,
		Issuer:                                s.URL,
		AuthorizationEndpoint:                 s.AuthURL(),
		TokenEndpoint:                         s.TokenURL(),
		DeviceAuthorizationEndpoint:           s.DeviceAuthURL(),
		RevocationEndpoint:                    s.RevocationURL(),
		ResponseTypesSupported:                []string{"code", "token"},
		GrantTypesSupported: []string{
			GrantAuthorizationCode, GrantImplicit, GrantPassword,
			GrantClientCredentials, GrantRefreshToken, GrantDeviceCode,
			GrantJWTBearer, GrantTokenExchange,
		},
		IntrospectionEndpoint:              s.IntrospectionURL(),
		PushedAuthorizationRequestEndpoint: s.PARURL(),
		RequirePushedAuthorizationRequests: s.requirePAR,
		RegistrationEndpoint:               s.RegistrationURL(),
		TokenEndpointAuthSigningAlgs:       []string{"RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA", "HS256"},
		TokenEndpointAuthMethodsSupported:  authMethods,
		RevocationEndpointAuthMethods:      authMethods,
		CodeChallengeMethodsSupported:      []string{"S256", "plain"},
		SubjectTypesSupported:              []string{"public"},
		IDTokenSigningAlgValuesSupported:   []string{"HS256", "none"},
		ResponseModesSupported:             []string{"query", "fragment"},
	})
}
