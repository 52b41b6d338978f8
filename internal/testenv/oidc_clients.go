package testenv

import (
	"strconv"
	"strings"
	"time"
)

// Clients registered in testdata/oidc-provider/server.mjs.
const (
	// SvcClientID is a confidential machine client: client_credentials only,
	// client_secret_basic or client_secret_post.
	SvcClientID     = "svc"
	SvcClientSecret = "svc-secret"
	SvcScope        = "api:read api:write"

	// AppClientID is a confidential web client: authorization_code (+PKCE), refresh_token
	// (rotating) and device_code. Logins skip the consent page (auto-consent).
	AppClientID     = "app"
	AppClientSecret = "app-secret"
	AppRedirectURI  = "http://127.0.0.1:8765/callback"
	AppScope        = "openid offline_access api:read api:write"

	// CLIClientID is a public native client (token_endpoint_auth_method none): send client_id
	// in the body, never a secret. PKCE is mandatory; the redirect URI accepts any loopback
	// port (RFC 8252), see [CLIRedirectURIPort]. Logins show a consent page, which [Login]
	// confirms.
	CLIClientID    = "cli"
	CLIRedirectURI = "http://127.0.0.1/callback"
	CLIScope       = "openid offline_access api:read"
)

// CLIRedirectURIPort returns the CLI client's loopback redirect URI on the given port.
func CLIRedirectURIPort(port int) string {
	return "http://127.0.0.1:" + strconv.Itoa(port) + "/callback"
}

// Resource indicators (RFC 8707) the provider knows; any other resource fails with
// invalid_target.
const (
	ResourceJWT    = "urn:example:api"    // the default: RS256 at+jwt access tokens, aud = this
	ResourceOpaque = "urn:example:opaque" // opaque access tokens (introspectable, revocable)
)

// Token lifetimes configured in server.mjs.
const (
	AccessTokenTTL  = 300 * time.Second
	RefreshTokenTTL = 3600 * time.Second
	DeviceCodeTTL   = 600 * time.Second
)

// DeviceCodeGrantType is the grant_type of RFC 8628 token requests.
const DeviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// Password is what [Login] and [ApproveDevice] type into the login form; devInteractions
// accepts any password.
const Password = "any-password"

// Endpoint paths relative to the issuer (as announced by discovery).
const (
	PathDiscovery     = "/.well-known/openid-configuration"
	PathAuth          = "/auth"
	PathToken         = "/token"
	PathDeviceAuth    = "/device/auth"
	PathDevice        = "/device" // user-facing verification page
	PathIntrospection = "/token/introspection"
	PathRevocation    = "/token/revocation"
	PathJWKS          = "/jwks"
	PathUserInfo      = "/me"
)

// Endpoints are the absolute endpoint URLs of one issuer.
type Endpoints struct {
	Issuer, Auth, Token, DeviceAuth, Device, Introspection, Revocation, JWKS, UserInfo string
}

// EndpointsFor returns the endpoint URLs of the provider at issuer.
func EndpointsFor(issuer string) Endpoints {
	iss := strings.TrimRight(issuer, "/")
	return Endpoints{
		Issuer:        iss,
		Auth:          iss + PathAuth,
		Token:         iss + PathToken,
		DeviceAuth:    iss + PathDeviceAuth,
		Device:        iss + PathDevice,
		Introspection: iss + PathIntrospection,
		Revocation:    iss + PathRevocation,
		JWKS:          iss + PathJWKS,
		UserInfo:      iss + PathUserInfo,
	}
}
