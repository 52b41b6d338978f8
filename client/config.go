package client

import (
	"github.com/tokenward/tokenward/internal/clock"
	"github.com/tokenward/tokenward/internal/wire"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/dpop"
)

// BodyFormat is how token and device authorization requests are encoded.
type BodyFormat int

const (
	// FormBody sends application/x-www-form-urlencoded bodies, as RFC
	// 6749 specifies. It is the zero value.
	FormBody BodyFormat = iota
	// JSONBody sends a JSON object of string values with the header
	// "Content-Type: application/json" (no parameters), for providers
	// that require it.
	JSONBody
)

// String returns "form" or "json".
func (f BodyFormat) String() string {
	if f == JSONBody {
		return "json"
	}
	return "form"
}

// Config is an OAuth 2.0 client registration at one authorization server.
// Its zero value is not useful; set at least ClientID and
// Endpoint.TokenURL. A Config is safe for concurrent use once no longer
// modified. The sources keep a shallow copy: they share Scopes, Params,
// HTTPClient and Observer with c, and what c learned (the auth style
// that worked, its HTTP clients); change none of these afterwards.
type Config struct {
	// ClientID and ClientSecret are the client's credentials. Leave
	// ClientSecret empty for a public client.
	ClientID     string
	ClientSecret string `json:"-"`

	// Endpoint holds the server's URLs and how the client authenticates
	// (Endpoint.AuthStyle): oauth2.AuthStyleInHeader (HTTP Basic),
	// oauth2.AuthStyleInParams (client_id and client_secret in the body),
	// or oauth2.AuthStyleAutoDetect (zero), which tries one and falls back
	// to the other on a 401 or invalid_client answer, never replaying a
	// one-time code, and remembers, per endpoint and in this Config (and
	// the copies made after its first request), the style a successful
	// answer accepted. Token and device URLs must be https, except on
	// loopback.
	Endpoint oauth2.Endpoint

	// RedirectURL is the redirect_uri of authorization requests.
	RedirectURL string

	// RevocationURL is the RFC 7009 token revocation endpoint used by
	// Revoke (oauth2.Endpoint has no field for it).
	RevocationURL string

	// IntrospectionURL is the RFC 7662 endpoint used by Introspect, and
	// PARURL the RFC 9126 endpoint used by PushAuthCodeURL.
	IntrospectionURL, PARURL string

	// Metadata, if set, supplies every URL the Config leaves empty
	// (authorization, token, device authorization, revocation,
	// introspection, PAR) and the issuer, an audience of client
	// assertions. Under auto-detection (Endpoint.AuthStyle zero) it also
	// chooses the client authentication from
	// token_endpoint_auth_methods_supported. The Config itself is never
	// modified. See Discover.
	Metadata *Metadata

	// ClientAssertion, if set, authenticates the client with a JWT
	// (RFC 7523 section 2.2) instead of ClientSecret on every request
	// that authenticates it: token, device authorization, PAR,
	// revocation and introspection. A fresh assertion is made for every
	// attempt, retries included. A refused assertion is never followed
	// by a try with the secret.
	ClientAssertion ClientAssertion

	// AssertionAudience, if set, is the only aud of client assertions;
	// empty means the token endpoint URL, plus Metadata.Issuer when
	// Metadata is set.
	AssertionAudience string

	// Scopes are requested with every grant that takes a scope.
	Scopes []string

	// BodyFormat selects form (default) or JSON request bodies.
	BodyFormat BodyFormat

	// Params are sent with every token request (for example audience or
	// resource), in either body format.
	Params url.Values

	// DefaultExpiresIn is the lifetime assumed for a token whose response
	// has no expires_in and whose access token is not a JWT carrying exp.
	// Zero means such a token does not expire by itself: it is renewed
	// when a resource server rejects it (see tokensource.Transport).
	DefaultExpiresIn time.Duration

	// HTTPClient sends the requests. Nil means the *http.Client in the
	// request's context under oauth2.HTTPClient, as x/oauth2 does, else a
	// default client with timeouts (one per Config, built on first use).
	// A client's Transport, Jar and Timeout are read when the Config
	// first sends a request with it.
	// Whichever client sends them, redirects from the authorization
	// server are never followed, and 429 and 5xx answers and connection
	// failures are retried only where the grant makes that safe.
	HTTPClient *http.Client

	// Observer, if set, sees every request to the authorization server
	// (see package telemetry).
	Observer Observer

	// DPoP, if set, binds tokens to this key (RFC 9449): every token
	// request, refresh included, carries a fresh proof; a server's
	// use_dpop_nonce answer is resent once with the nonce it sent, and
	// the nonce is remembered per server (and replaced by every
	// DPoP-Nonce the server sends), so that a server asking again after
	// that resend fails the request with an *oauth2.RetrieveError whose
	// ErrorCode is "use_dpop_nonce"; AuthCodeURL carries dpop_jkt; tokens
	// of token_type DPoP are accepted. Without a key, a DPoP token fails
	// with ErrDPoPWithoutKey. The sources pass the key to their
	// tokensource.Options, so that tokensource.Transport sends the tokens
	// with a proof of their own on every request.
	DPoP *dpop.Key

	// MTLS authenticates the client with the TLS client certificate that
	// HTTPClient presents (RFC 8705 tls_client_auth or
	// self_signed_tls_client_auth): client_id is sent in the body and no
	// secret, and tokens the server binds to the certificate (cnf
	// x5t#S256) work only through a client presenting the same
	// certificate: a tokensource.Transport whose Base is HTTPClient's
	// Transport. Go's TLS client sends a certificate from
	// tls.Config.Certificates only when the server lists its issuer among
	// the acceptable CAs, which it never does for a self-signed one: for
	// self_signed_tls_client_auth (and hardware-backed keys), set
	// tls.Config.GetClientCertificate instead.
	MTLS bool

	shared *shared     // created on first use; see Config.state
	clock  clock.Clock // device polling's time source; nil: the real one
}

// tokenURL validates and returns the token endpoint.
func (c *Config) tokenURL() (string, error) {
	return checkEndpoint("token", c.endpointURL(endpointToken))
}

// checkEndpoint refuses empty, malformed and non-https URLs (http is
// allowed on loopback only).
func checkEndpoint(name, raw string) (string, error) {
	if raw == "" {
		return "", &ConfigError{Field: name + " URL", Reason: "is empty"}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", &ConfigError{Field: name + " URL", Reason: "is not an absolute URL"}
	}
	if u.User != nil {
		return "", &ConfigError{Field: name + " URL", Reason: "must not hold credentials"}
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return raw, nil
	case "http":
		if wire.IsLoopback(u.Hostname()) {
			return raw, nil
		}
		return "", &ConfigError{Field: name + " URL", Reason: "must use https (http is allowed only on loopback)", Err: ErrInsecureURL}
	default:
		return "", &ConfigError{Field: name + " URL", Reason: "has unsupported scheme " + u.Scheme}
	}
}

// scope is the space-separated scope parameter.
func (c *Config) scope() string {
	return strings.Join(c.Scopes, " ")
}

// String describes c without its secret.
func (c Config) String() string {
	secret := ""
	if c.ClientSecret != "" {
		secret = ", ClientSecret: " + redacted
	}
	return "client.Config{ClientID: " + c.ClientID + secret + ", TokenURL: " + c.endpointURL(endpointToken) + "}"
}

// GoString describes c without its secret, for %#v.
func (c Config) GoString() string { return c.String() }

// LogValue describes c without its secret, for log/slog.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("client_id", c.ClientID),
		slog.Bool("has_secret", c.ClientSecret != ""),
		slog.Bool("has_assertion", c.ClientAssertion != nil),
		slog.String("token_url", c.endpointURL(endpointToken)),
		slog.String("body_format", c.BodyFormat.String()),
		slog.Bool("dpop", c.DPoP != nil),
		slog.Bool("mtls", c.MTLS),
	)
}
