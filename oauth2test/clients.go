package oauth2test

import (
	"crypto"
	"crypto/subtle"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AuthStyle is the client authentication a Client must use at the token,
// device authorization and revocation endpoints.
type AuthStyle int

const (
	// AuthAny accepts HTTP Basic and client_id/client_secret in the body.
	AuthAny AuthStyle = iota
	// AuthBasic accepts HTTP Basic only (seed 000, AWS Cognito).
	AuthBasic
	// AuthBody accepts client_id/client_secret in the body only, form or JSON
	// (seeds 001 to 003).
	AuthBody
	// AuthNone is a public client: it sends client_id in the body and no secret.
	AuthNone
	// AuthPrivateKeyJWT accepts private_key_jwt client assertions (RFC 7523
	// section 2.2) signed with Client.PublicKey's private key only.
	AuthPrivateKeyJWT
	// AuthSecretJWT accepts client_secret_jwt assertions (HS256 over
	// Client.Secret) only.
	AuthSecretJWT
	// AuthTLS is RFC 8705 tls_client_auth: the client sends client_id in
	// the body and no secret, over a TLS connection (Options.ClientCAs)
	// presenting a certificate that chains to Options.ClientCAs and whose
	// subject is Client.TLSSubject (its common name is the client ID when
	// TLSSubject is empty).
	AuthTLS
	// AuthSelfSignedTLS is RFC 8705 self_signed_tls_client_auth: as
	// AuthTLS, but the certificate must be Client.TLSCertificate, whoever
	// signed it.
	AuthSelfSignedTLS
)

// String returns the name of the constant.
func (a AuthStyle) String() string {
	switch a {
	case AuthAny:
		return "AuthAny"
	case AuthBasic:
		return "AuthBasic"
	case AuthBody:
		return "AuthBody"
	case AuthNone:
		return "AuthNone"
	case AuthPrivateKeyJWT:
		return "AuthPrivateKeyJWT"
	case AuthSecretJWT:
		return "AuthSecretJWT"
	case AuthTLS:
		return "AuthTLS"
	case AuthSelfSignedTLS:
		return "AuthSelfSignedTLS"
	}
	return fmt.Sprintf("AuthStyle(%d)", int(a))
}

// BodyFormat is the request body format a Client must use.
type BodyFormat int

const (
	// AnyBody accepts form-encoded and JSON bodies.
	AnyBody BodyFormat = iota
	// FormOnly accepts application/x-www-form-urlencoded bodies only.
	FormOnly
	// JSONOnly accepts a JSON object body whose Content-Type is exactly
	// "application/json", without parameters (seed 001).
	JSONOnly
)

// String returns the name of the constant.
func (b BodyFormat) String() string {
	switch b {
	case AnyBody:
		return "AnyBody"
	case FormOnly:
		return "FormOnly"
	case JSONOnly:
		return "JSONOnly"
	}
	return fmt.Sprintf("BodyFormat(%d)", int(b))
}

// ExpiresInFormat is how a token response encodes expires_in.
type ExpiresInFormat int

const (
	// ExpiresNumber sends a JSON number: "expires_in": 3600.
	ExpiresNumber ExpiresInFormat = iota
	// ExpiresString sends a JSON string: "expires_in": "3600".
	ExpiresString
	// ExpiresFloat sends a JSON number with a fraction: "expires_in": 3600.0.
	ExpiresFloat
	// ExpiresOmitted leaves expires_in out of the response.
	ExpiresOmitted
)

// Client is a client registered with a Server.
type Client struct {
	// ID and Secret are the client's credentials. Secret is ignored for
	// AuthNone clients.
	ID, Secret string

	// AuthStyle is the client authentication the client must use.
	AuthStyle AuthStyle

	// BodyFormat is the request body format the client must use.
	BodyFormat BodyFormat

	// Grants are the grant_type values the client may use, plus
	// GrantImplicit for response_type=token. Nil allows all. A client that
	// should refresh must list GrantRefreshToken.
	Grants []string

	// Scopes are the scopes the client may obtain; nil allows any. A request
	// for any other scope fails with invalid_scope (seed 003).
	Scopes []string

	// DefaultScopes are granted when a request has no scope.
	DefaultScopes []string

	// RedirectURIs are the registered redirect URIs; nil accepts any absolute
	// URI. With exactly one registered URI, redirect_uri may be left out of
	// authorization requests.
	RedirectURIs []string

	// TokenLifetime is the lifetime of the client's access tokens; zero means
	// Options.TokenLifetime.
	TokenLifetime time.Duration

	// TokenType is the token_type sent in token responses; empty means
	// "Bearer". Seed 001 sends "bearer".
	TokenType string

	// ExpiresIn is how token responses encode expires_in.
	ExpiresIn ExpiresInFormat

	// IssueRefreshToken makes the password, authorization_code and device_code
	// grants issue a refresh token. The client_credentials grant and the
	// implicit flow never issue one.
	IssueRefreshToken bool

	// RotateRefreshTokens makes every refresh return a new refresh token and
	// invalidate the old one. Presenting an invalidated refresh token again is
	// treated as theft: the whole family of tokens descending from the same
	// grant is revoked and the request fails with invalid_grant. Without
	// rotation, a refresh keeps the refresh token valid and the response
	// omits refresh_token.
	RotateRefreshTokens bool

	// RequirePKCE makes the authorization endpoint reject requests without a
	// code_challenge.
	RequirePKCE bool

	// JWTAccessTokens makes access tokens JWTs (HS256, signed with a key
	// private to the server) carrying iss, sub, aud, client_id, scope, iat,
	// exp and jti, so that clients can test falling back to exp when the
	// response omits expires_in.
	JWTAccessTokens bool

	// PublicKey verifies the client's private_key_jwt assertions
	// (AuthPrivateKeyJWT) and the assertions of its JWT bearer grants
	// (GrantJWTBearer): an *rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey.
	PublicKey crypto.PublicKey

	// RequirePAR makes the authorization endpoint accept only pushed
	// requests (RFC 9126 require_pushed_authorization_requests).
	RequirePAR bool

	registeredMetadata map[string]any // RFC 7591 metadata of a registered client
	// TLSSubject is the certificate subject (as x509.Name.String writes
	// it) that an AuthTLS client must present (tls_client_auth_subject_dn).
	TLSSubject string

	// TLSCertificate is the DER certificate that an AuthSelfSignedTLS
	// client must present.
	TLSCertificate []byte
}

// validate reports a problem with a client registration.
func (c *Client) validate() error {
	if c.ID == "" {
		return fmt.Errorf("oauth2test: client with an empty ID")
	}
	if c.AuthStyle < AuthAny || c.AuthStyle > AuthSelfSignedTLS {
		return fmt.Errorf("oauth2test: client %q: unknown %v", c.ID, c.AuthStyle)
	}
	if c.BodyFormat < AnyBody || c.BodyFormat > JSONOnly {
		return fmt.Errorf("oauth2test: client %q: unknown %v", c.ID, c.BodyFormat)
	}
	if c.ExpiresIn < ExpiresNumber || c.ExpiresIn > ExpiresOmitted {
		return fmt.Errorf("oauth2test: client %q: unknown ExpiresInFormat(%d)", c.ID, int(c.ExpiresIn))
	}
	return nil
}

// clone returns a deep copy of c with defaults applied.
func (c Client) clone(defaultLifetime time.Duration) *Client {
	c.Grants = slices.Clone(c.Grants)
	c.Scopes = slices.Clone(c.Scopes)
	c.DefaultScopes = slices.Clone(c.DefaultScopes)
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	if c.TokenLifetime <= 0 {
		c.TokenLifetime = defaultLifetime
	}
	if c.TokenType == "" {
		c.TokenType = "Bearer"
	}
	return &c
}

// allows reports whether the client may use grant.
func (c *Client) allows(grant string) bool {
	return c.Grants == nil || slices.Contains(c.Grants, grant)
}

// grantScopes returns the scopes granted for the space-separated request
// scope, or an invalid_scope error.
func (c *Client) grantScopes(requested string) ([]string, *oauthError) {
	scopes := parseScope(requested)
	if len(scopes) == 0 {
		return slices.Clone(c.DefaultScopes), nil
	}
	if c.Scopes != nil {
		for _, sc := range scopes {
			if !slices.Contains(c.Scopes, sc) {
				return nil, errInvalidScope(fmt.Sprintf("scope %q is not allowed for this client", sc))
			}
		}
	}
	return scopes, nil
}

// parseScope splits a space-separated scope parameter, dropping duplicates.
func parseScope(scope string) []string {
	var scopes []string
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	return scopes
}

// redirectURI resolves the redirect URI of an authorization request. It
// returns the URI to redirect to, or an error message for a page that must not
// redirect.
func (c *Client) redirectURI(requested string) (string, string) {
	if requested == "" {
		if len(c.RedirectURIs) == 1 {
			return c.RedirectURIs[0], ""
		}
		return "", "missing redirect_uri"
	}
	if c.RedirectURIs != nil && !slices.Contains(c.RedirectURIs, requested) {
		return "", "redirect_uri is not registered for this client"
	}
	u, err := url.Parse(requested)
	if err != nil || !u.IsAbs() || u.Fragment != "" || u.Opaque != "" {
		return "", "redirect_uri must be an absolute URI without a fragment"
	}
	return requested, ""
}

// authenticate identifies and authenticates the client of an endpoint
// request (token, device authorization, revocation), enforcing its
// authentication style and body format. Callers hold s.mu.
func (s *Server) authenticate(req *Request) (*Client, *oauthError) {
	if _, ok := req.Params["client_assertion"]; ok {
		return s.verifyAssertion(req)
	}
	bodyID, hasBodyID := req.Params["client_id"]
	bodySecret := req.Params["client_secret"]
	id := bodyID
	if req.UsedBasic {
		if bodySecret != "" {
			return nil, errInvalidRequest("more than one client authentication method")
		}
		if hasBodyID && bodyID != req.BasicUser {
			return nil, errInvalidRequest("client_id does not match the Basic credentials")
		}
		id = req.BasicUser
	}
	if id == "" {
		return nil, errInvalidClient("missing client authentication")
	}
	c := s.lookupClient(id)
	if c == nil {
		return nil, errInvalidClient("unknown client")
	}
	if c.AuthStyle == AuthPrivateKeyJWT || c.AuthStyle == AuthSecretJWT {
		return nil, errInvalidClient("client must authenticate with a client assertion")
	}
	if e := checkBodyFormat(c, req); e != nil {
		return nil, e
	}
	switch {
	case c.AuthStyle == AuthNone:
		if req.UsedBasic || bodySecret != "" {
			return nil, errInvalidClient("public client must not send a secret")
		}
		return c, nil
	case c.AuthStyle == AuthTLS || c.AuthStyle == AuthSelfSignedTLS:
		if req.UsedBasic || bodySecret != "" {
			return nil, errInvalidClient("an mTLS client must not send a secret")
		}
		if e := s.checkClientCert(c, req.tls); e != nil {
			return nil, e
		}
		return c, nil
	case req.UsedBasic && c.AuthStyle == AuthBody:
		return nil, errInvalidClient("client must authenticate with client_secret in the body")
	case !req.UsedBasic && c.AuthStyle == AuthBasic:
		return nil, errInvalidClient("client must authenticate with HTTP Basic")
	}
	secret := bodySecret
	if req.UsedBasic {
		secret = req.BasicPassword
	}
	if !secretsEqual(secret, c.Secret) {
		return nil, errInvalidClient("bad client credentials")
	}
	return c, nil
}

// checkBodyFormat enforces the client's BodyFormat.
func checkBodyFormat(c *Client, req *Request) *oauthError {
	switch c.BodyFormat {
	case FormOnly:
		mt, _, _ := mime.ParseMediaType(req.ContentType)
		if mt != "application/x-www-form-urlencoded" {
			return errInvalidRequest("Content-Type must be application/x-www-form-urlencoded")
		}
	case JSONOnly:
		if req.ContentType != "application/json" {
			return errInvalidRequest(`Content-Type must be exactly "application/json"`)
		}
	}
	return nil
}

// secretsEqual compares secrets in constant time.
func secretsEqual(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// basicAuth extracts HTTP Basic credentials, undoing the form-encoding that
// RFC 6749 section 2.3.1 applies to them (credentials that do not decode are
// used as sent).
func basicAuth(r *http.Request) (user, password string, ok bool) {
	user, password, ok = r.BasicAuth()
	if !ok {
		return "", "", false
	}
	if u, err := url.QueryUnescape(user); err == nil {
		user = u
	}
	if p, err := url.QueryUnescape(password); err == nil {
		password = p
	}
	return user, password, true
}
