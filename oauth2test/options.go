package oauth2test

import "time"

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
}
