package client

import (
	"context"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// RequestOption adds a parameter to one authorization or token request.
type RequestOption interface {
	setParam(v url.Values)
}

type paramOption struct{ key, value string }

func (p paramOption) setParam(v url.Values) { v.Set(p.key, p.value) }

// SetParam returns a RequestOption that sets key to value.
func SetParam(key, value string) RequestOption { return paramOption{key, value} }

// Verifier returns a RequestOption that sends the PKCE code_verifier
// (RFC 7636 §4.5) with Exchange. Create verifiers with
// oauth2.GenerateVerifier.
func Verifier(verifier string) RequestOption { return paramOption{"code_verifier", verifier} }

type s256Option string

func (o s256Option) setParam(v url.Values) {
	v.Set("code_challenge", oauth2.S256ChallengeFromVerifier(string(o)))
	v.Set("code_challenge_method", "S256")
}

// S256Challenge returns a RequestOption that sends the S256 PKCE
// code_challenge of verifier (RFC 7636 §4.2) with AuthCodeURL.
func S256Challenge(verifier string) RequestOption { return s256Option(verifier) }

// AuthCodeOptions adapts x/oauth2's AuthCodeOption values
// (oauth2.AccessTypeOffline, oauth2.ApprovalForce,
// oauth2.S256ChallengeOption, oauth2.VerifierOption,
// oauth2.SetAuthURLParam) into one RequestOption, for AuthCodeURL,
// Exchange or any other request.
func AuthCodeOptions(opts ...oauth2.AuthCodeOption) RequestOption {
	// An AuthCodeOption can only be applied by x/oauth2 itself: let it
	// build an authorization URL and keep what the options set.
	u, err := url.Parse((&oauth2.Config{}).AuthCodeURL("", opts...))
	if err != nil {
		return authCodeOptions(nil)
	}
	v := u.Query()
	if v.Get("response_type") == "code" {
		v.Del("response_type")
	}
	if v.Get("client_id") == "" {
		v.Del("client_id")
	}
	return authCodeOptions(v)
}

type authCodeOptions url.Values

func (o authCodeOptions) setParam(v url.Values) {
	for k, vs := range o {
		v[k] = append([]string(nil), vs...)
	}
}

func apply(v url.Values, opts []RequestOption) url.Values {
	for _, o := range opts {
		if o != nil {
			o.setParam(v)
		}
	}
	return v
}

// ClientCredentialsToken obtains a token for the client itself with the
// client_credentials grant (RFC 6749 §4.4). No refresh token is expected:
// ask again when it expires.
func (c *Config) ClientCredentialsToken(ctx context.Context, opts ...RequestOption) (*oauth2.Token, error) {
	endpoint, err := c.tokenURL()
	if err != nil {
		return nil, err
	}
	v := url.Values{"grant_type": {"client_credentials"}}
	if s := c.scope(); s != "" {
		v.Set("scope", s)
	}
	return c.token(ctx, &call{op: "client_credentials grant", endpoint: "token", url: endpoint, params: apply(v, opts), policy: retrySafe})
}

// PasswordCredentialsToken obtains a token with the resource owner
// password credentials grant (RFC 6749 §4.3). Use it only with first-party
// clients that the server allows to.
func (c *Config) PasswordCredentialsToken(ctx context.Context, username, password string, opts ...RequestOption) (*oauth2.Token, error) {
	endpoint, err := c.tokenURL()
	if err != nil {
		return nil, err
	}
	v := url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}
	if s := c.scope(); s != "" {
		v.Set("scope", s)
	}
	return c.token(ctx, &call{op: "password grant", endpoint: "token", url: endpoint, params: apply(v, opts), policy: retrySafe})
}

// AuthCodeURL returns the URL of the authorization endpoint to send the
// user to (RFC 6749 §4.1.1). state is an unguessable value that the
// redirect must carry back; add S256Challenge for PKCE. A server whose
// Metadata has RequirePushedAuthorizationRequests refuses such a URL:
// AuthCodeURL does no I/O, so call PushAuthCodeURL for it.
func (c *Config) AuthCodeURL(state string, opts ...RequestOption) string {
	return c.authURL("code", state, opts)
}

// ImplicitURL returns the authorization URL for the implicit grant (RFC
// 6749 §4.2): the token comes back in the redirect's fragment, to be read
// with ParseImplicitRedirect. Prefer the authorization code grant with
// PKCE where the server offers it.
func (c *Config) ImplicitURL(state string, opts ...RequestOption) string {
	return c.authURL("token", state, opts)
}

func (c *Config) authURL(responseType, state string, opts []RequestOption) string {
	v := c.authParams(responseType, state, opts)
	authURL := c.endpointURL(endpointAuthorize)
	sep := "?"
	if strings.Contains(authURL, "?") {
		sep = "&"
	}
	return authURL + sep + v.Encode()
}

// authParams are the parameters of an authorization request.
func (c *Config) authParams(responseType, state string, opts []RequestOption) url.Values {
	v := url.Values{"response_type": {responseType}, "client_id": {c.ClientID}}
	if c.RedirectURL != "" {
		v.Set("redirect_uri", c.RedirectURL)
	}
	if s := c.scope(); s != "" {
		v.Set("scope", s)
	}
	if state != "" {
		v.Set("state", state)
	}
	return apply(v, append([]RequestOption{c.dpopJKT()}, opts...))
}

// Exchange trades an authorization code for a token (RFC 6749 §4.1.3).
// Pass Verifier when the authorization request carried a PKCE challenge.
// The code is sent once: it is retried only when the request provably
// never reached the server.
func (c *Config) Exchange(ctx context.Context, code string, opts ...RequestOption) (*oauth2.Token, error) {
	endpoint, err := c.tokenURL()
	if err != nil {
		return nil, err
	}
	v := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
	if c.RedirectURL != "" {
		v.Set("redirect_uri", c.RedirectURL)
	}
	return c.token(ctx, &call{op: "authorization_code grant", endpoint: "token", url: endpoint, params: apply(v, opts), policy: retryUnsent, oneTime: true})
}

// Refresh obtains a new token with the refresh_token grant (RFC 6749 §6).
// When the server rotates refresh tokens, the result holds the new one;
// when it does not send one, the result keeps refreshToken. A refresh is
// retried only when it provably never reached the server, so a rotated
// token is never lost to a replay.
func (c *Config) Refresh(ctx context.Context, refreshToken string, opts ...RequestOption) (*oauth2.Token, error) {
	if refreshToken == "" {
		return nil, ErrNoRefreshToken
	}
	endpoint, err := c.tokenURL()
	if err != nil {
		return nil, err
	}
	v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	tok, err := c.token(ctx, &call{op: "refresh_token grant", endpoint: "token", url: endpoint, params: apply(v, opts), policy: retryUnsent})
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	return tok, nil
}
