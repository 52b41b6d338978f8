package oauth2test

import (
	"crypto/x509"
	"time"
)

// Defaults used when Options leaves a field unset.
const (
	// DefaultClientID is the ID of the client registered when Options.Clients is nil.
	DefaultClientID = "test-client"
	// DefaultClientSecret is the secret of the client registered when Options.Clients is nil.
	DefaultClientSecret = "test-secret"
	// DefaultUsername is the user registered when Options.Users is nil.
	DefaultUsername = "alice"
	// DefaultPassword is the password of DefaultUsername.
	DefaultPassword = "alice-password"

	// DefaultTokenLifetime is the lifetime of access tokens when neither
	// Options.TokenLifetime nor Client.TokenLifetime is set.
	DefaultTokenLifetime = time.Hour
	// DefaultDeviceInterval is the device polling interval, in seconds, when
	// Options.DeviceInterval is zero. It is also the interval RFC 8628 tells
	// clients to assume when the server sends none.
	DefaultDeviceInterval = 5
	// DefaultDeviceCodeLifetime is the lifetime of device codes when
	// Options.DeviceCodeLifetime is zero.
	DefaultDeviceCodeLifetime = 10 * time.Minute
	// CodeLifetime is the lifetime of authorization codes.
	CodeLifetime = time.Minute
)

// Grant type values, for Client.Grants and Server.GrantRequests.
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	// GrantImplicit is not a grant_type value on the wire; listing it in
	// Client.Grants allows response_type=token at the authorization endpoint.
	GrantImplicit = "implicit"
)

// Options configures a Server. The zero value (or a nil *Options) is ready to
// use.
type Options struct {
	// Clients are the registered clients. Nil registers a single confidential
	// client, DefaultClientID with DefaultClientSecret, that accepts any
	// authentication style, any body format, every grant and any scope.
	Clients []Client

	// Users maps usernames to passwords for the password grant and the login
	// forms. Nil registers DefaultUsername with DefaultPassword.
	Users map[string]string

	// TokenLifetime is the lifetime of access tokens; zero means
	// DefaultTokenLifetime. Client.TokenLifetime overrides it per client.
	TokenLifetime time.Duration

	// RefreshTokenLifetime is the lifetime of refresh tokens; zero means they
	// never expire.
	RefreshTokenLifetime time.Duration

	// Clock, if set, is the server's time source instead of time.Now;
	// Server.Advance adds an offset to it.
	Clock func() time.Time

	// DeviceInterval is the device polling interval in seconds, sent as
	// "interval" by the device authorization endpoint and enforced with
	// slow_down. Zero means DefaultDeviceInterval. A negative value omits
	// "interval" from the response; the server then enforces the RFC 8628
	// default of 5 seconds.
	DeviceInterval int

	// DeviceCodeLifetime is the lifetime of device codes; zero means
	// DefaultDeviceCodeLifetime.
	DeviceCodeLifetime time.Duration

	// AutoApproveUser, if set, makes GET /authorize redirect at once as if
	// this user had logged in and approved, without showing the login form.
	AutoApproveUser string

	// RequirePAR makes every client use pushed authorization requests, as
	// Client.RequirePAR does for one, and the metadata announce
	// require_pushed_authorization_requests (RFC 9126 section 5).
	RequirePAR bool

	// RequireDPoP makes the token endpoint refuse requests without a DPoP
	// proof (RFC 9449). Whether or not it is set, a token request with a
	// valid proof gets token_type DPoP and tokens bound to the proof's key
	// (and, for a public client, a bound refresh token); the resource then
	// accepts them only with scheme DPoP and a proof by the same key with
	// the token's ath. Every proof is checked strictly (see DPoPVerifier).
	RequireDPoP bool

	// DPoPNonce makes the server require a nonce of its own in every DPoP
	// proof, at the token endpoint (400 use_dpop_nonce) and the resource
	// (401 with a DPoP use_dpop_nonce challenge), sent in the DPoP-Nonce
	// header of every response; Server.RotateDPoPNonce replaces it.
	DPoPNonce bool

	// ClientCAs, if set, makes the server listen with TLS (URL is then
	// https; Server.MTLSClient trusts it) and request a client
	// certificate, which authenticates AuthTLS clients when it chains to
	// ClientCAs (RFC 8705 §2.1) and AuthSelfSignedTLS clients when it is
	// theirs (§2.2). Tokens issued over a connection with a certificate
	// are bound to it (cnf x5t#S256, §3): the resource accepts them only
	// over a connection presenting the same certificate.
	ClientCAs *x509.CertPool
}
