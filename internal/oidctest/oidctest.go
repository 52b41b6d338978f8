package oidctest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Environment variables exported by scripts/test.sh (and CI, set by .ci/run).
const (
	EnvIssuer    = "OIDC_ISSUER"              // http://127.0.0.1:<port> of oidc-provider
	EnvRedisAddr = "REDIS_ADDR"               // 127.0.0.1:<port> of redis-server
	EnvDBus      = "DBUS_SESSION_BUS_ADDRESS" // private session bus with an unlocked gnome-keyring
	EnvCI        = "CI"                       // "true" under CI: missing services fail tests
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

// UnderCI reports whether the tests run under CI ($CI is "true", or another true value
// accepted by strconv.ParseBool). Under CI a missing service fails a test instead of skipping it.
func UnderCI() bool {
	ci, err := strconv.ParseBool(os.Getenv(EnvCI))
	return err == nil && ci
}

// unavailable fails tb under CI and skips it otherwise. Callers must return right after it:
// a fake testing.TB (as in this package's tests) may return from Fatal and Skip.
func unavailable(tb testing.TB, ciMsg, localMsg string) {
	tb.Helper()
	if UnderCI() {
		tb.Fatal(ciMsg)
	} else {
		tb.Skip(localMsg)
	}
}

// RequireEnv returns the value of the environment variable name. When it is empty the test fails
// under CI and is skipped otherwise, with a hint to run scripts/test.sh. Use it for REDIS_ADDR,
// DBUS_SESSION_BUS_ADDRESS and other variables scripts/test.sh provides.
func RequireEnv(tb testing.TB, name string) string {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		unavailable(tb,
			name+" not set: it must be set under CI (scripts/test.sh sets it)",
			name+" not set: skipping; run ./scripts/test.sh to start the test services")
	}
	return v
}

// Issuer returns the issuer URL of the running oidc-provider ($OIDC_ISSUER, without a trailing
// slash) after checking that its discovery document answers within 2 s and names that issuer.
// When the variable is unset or the provider does not answer, the test fails under CI and is
// skipped otherwise.
func Issuer(tb testing.TB) string {
	tb.Helper()
	iss := strings.TrimRight(os.Getenv(EnvIssuer), "/")
	if iss == "" {
		unavailable(tb,
			"OIDC_ISSUER not set: oidc-provider must run under CI (scripts/test.sh starts it)",
			"OIDC_ISSUER not set: skipping; run ./scripts/test.sh to start oidc-provider")
		return ""
	}
	if err := checkDiscovery(iss, 2*time.Second); err != nil {
		unavailable(tb,
			fmt.Sprintf("oidc-provider at OIDC_ISSUER=%s is not usable: %v (scripts/test.sh starts it)", iss, err),
			fmt.Sprintf("oidc-provider at OIDC_ISSUER=%s is not usable: %v; skipping; run ./scripts/test.sh", iss, err))
		return ""
	}
	return iss
}

// checkDiscovery fetches the discovery document of iss and checks its issuer field.
func checkDiscovery(iss string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, iss+PathDiscovery, nil)
	if err != nil {
		return err
	}
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", req.URL, resp.StatusCode)
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return fmt.Errorf("GET %s: bad discovery document: %v", req.URL, err)
	}
	if doc.Issuer != iss {
		return fmt.Errorf("discovery names issuer %q, want %q", doc.Issuer, iss)
	}
	return nil
}
