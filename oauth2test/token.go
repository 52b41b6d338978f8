package oauth2test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"time"
)

// family groups the tokens that descend from one grant, so that revoking a
// refresh token or detecting its reuse revokes them all.
type family struct {
	revoked bool
}

// accessToken is the server's record of an issued access token.
type accessToken struct {
	clientID string
	subject  string
	scopes   []string
	expiry   time.Time
	fam      *family // nil for tokens issued without a refresh token
	revoked  bool
	bound    binding // the DPoP key or certificate it is bound to
}

// valid reports whether the token is unrevoked and unexpired at now.
func (t *accessToken) valid(now time.Time) bool {
	return !t.revoked && (t.fam == nil || !t.fam.revoked) && now.Before(t.expiry)
}

// refreshToken is the server's record of an issued refresh token.
type refreshToken struct {
	clientID string
	subject  string
	scopes   []string
	expiry   time.Time // zero: never expires
	fam      *family
	revoked  bool
	rotated  bool   // replaced by a newer refresh token of the same family
	jkt      string // a public client's refresh token is bound to its DPoP key
}

// grant describes the tokens to issue for a successful request.
type grant struct {
	client        *Client
	subject       string
	scopes        []string // granted to the access token
	refreshScopes []string // granted to a new refresh token; nil: scopes
	refresh       bool     // issue a refresh token
	fam           *family  // family to join; nil: a new one when refresh is set
	nonce         string   // OpenID Connect nonce for the ID token
}

// tokenResponse is a successful token response (RFC 6749 section 5.1).
type tokenResponse struct {
	AccessToken  string          `json:"access_token"`
	TokenType    string          `json:"token_type"`
	ExpiresIn    json.RawMessage `json:"expires_in,omitempty"`
	RefreshToken string          `json:"refresh_token,omitempty"`
	Scope        string          `json:"scope,omitempty"`
	IDToken      string          `json:"id_token,omitempty"`
	// IssuedTokenType is sent by token exchange (RFC 8693).
	IssuedTokenType string `json:"issued_token_type,omitempty"`
}

// handleToken serves the token endpoint, applying queued faults and latency.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	req, perr := readRequest(w, r)
	s.mu.Lock()
	s.tokenRequests++
	s.grantRequests[req.Params["grant_type"]]++
	s.lastToken = req
	f, faulted := s.popFault()
	latency := s.latency
	s.mu.Unlock()

	if faulted {
		latency += f.Latency
	}
	if !s.sleep(r, latency) {
		writeError(w, &oauthError{http.StatusServiceUnavailable, "temporarily_unavailable", "server closing"})
		return
	}
	switch {
	case !faulted || f.passThrough():
		s.serveToken(w, r, req, perr)
	case f.Process:
		s.serveToken(httptest.NewRecorder(), r, req, perr)
		s.writeFault(w, f)
	default:
		s.writeFault(w, f)
	}
}

// serveToken answers a token request that was read into req.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, req *Request, perr *oauthError) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, &oauthError{http.StatusMethodNotAllowed, "invalid_request", "the token endpoint accepts POST only"})
		return
	}
	if perr != nil {
		writeError(w, perr)
		return
	}
	jkt, ok := s.checkTokenDPoP(w, r)
	if !ok {
		return
	}
	s.setDPoPNonce(w)
	s.mu.Lock()
	s.bound = binding{jkt: jkt, x5t: certThumbprint(r)}
	resp, e := s.token(req)
	s.bound = binding{}
	s.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// token authenticates the client and runs the requested grant. Callers hold
// s.mu.
func (s *Server) token(req *Request) (*tokenResponse, *oauthError) {
	c, e := s.authenticate(req)
	if e != nil {
		return nil, e
	}
	gt := req.Params["grant_type"]
	var handle func(*Client, *Request) (*tokenResponse, *oauthError)
	switch gt {
	case "":
		return nil, errInvalidRequest("missing grant_type")
	case GrantClientCredentials:
		handle = s.clientCredentialsGrant
	case GrantPassword:
		handle = s.passwordGrant
	case GrantAuthorizationCode:
		handle = s.authorizationCodeGrant
	case GrantRefreshToken:
		handle = s.refreshTokenGrant
	case GrantDeviceCode:
		handle = s.deviceCodeGrant
	case GrantJWTBearer:
		handle = s.jwtBearerGrant
	case GrantTokenExchange:
		handle = s.tokenExchangeGrant
	default:
		return nil, &oauthError{http.StatusBadRequest, "unsupported_grant_type", "grant_type " + strconv.Quote(gt) + " is not supported"}
	}
	if !c.allows(gt) {
		return nil, errUnauthorizedClient("the client may not use grant_type " + strconv.Quote(gt))
	}
	return handle(c, req)
}

// clientCredentialsGrant implements RFC 6749 section 4.4.
func (s *Server) clientCredentialsGrant(c *Client, req *Request) (*tokenResponse, *oauthError) {
	if c.AuthStyle == AuthNone {
		return nil, errUnauthorizedClient("a public client may not use client_credentials")
	}
	scopes, e := c.grantScopes(req.Params["scope"])
	if e != nil {
		return nil, e
	}
	return s.issue(grant{client: c, subject: c.ID, scopes: scopes}), nil
}

// passwordGrant implements RFC 6749 section 4.3.
func (s *Server) passwordGrant(c *Client, req *Request) (*tokenResponse, *oauthError) {
	username, password := req.Params["username"], req.Params["password"]
	if username == "" {
		return nil, errInvalidRequest("missing username")
	}
	if !s.checkUser(username, password) {
		return nil, errInvalidGrant("bad username or password")
	}
	scopes, e := c.grantScopes(req.Params["scope"])
	if e != nil {
		return nil, e
	}
	return s.issue(grant{client: c, subject: username, scopes: scopes, refresh: c.IssueRefreshToken}), nil
}

// refreshTokenGrant implements RFC 6749 section 6, with optional rotation and
// reuse detection.
func (s *Server) refreshTokenGrant(c *Client, req *Request) (*tokenResponse, *oauthError) {
	value := req.Params["refresh_token"]
	if value == "" {
		return nil, errInvalidRequest("missing refresh_token")
	}
	rt := s.refresh[value]
	switch {
	case rt == nil || rt.clientID != c.ID:
		return nil, errInvalidGrant("unknown refresh token")
	case rt.revoked || rt.fam.revoked:
		return nil, errInvalidGrant("refresh token revoked")
	case rt.rotated:
		rt.fam.revoked = true
		return nil, errInvalidGrant("refresh token reused after rotation; every token of its grant is revoked")
	case !rt.expiry.IsZero() && !s.now().Before(rt.expiry):
		return nil, errInvalidGrant("refresh token expired")
	}
	if e := s.checkBinding(rt.jkt, "the refresh token"); e != nil {
		return nil, e
	}
	scopes := rt.scopes
	if requested := parseScope(req.Params["scope"]); len(requested) > 0 {
		for _, sc := range requested {
			if !slices.Contains(rt.scopes, sc) {
				return nil, errInvalidScope("scope " + strconv.Quote(sc) + " exceeds the original grant")
			}
		}
		scopes = requested
	}
	resp := s.issue(grant{
		client:        c,
		subject:       rt.subject,
		scopes:        scopes,
		refreshScopes: rt.scopes,
		refresh:       c.RotateRefreshTokens,
		fam:           rt.fam,
	})
	if c.RotateRefreshTokens {
		rt.rotated = true
	}
	return resp, nil
}

// checkUser reports whether password is the password of username. Callers
// hold s.mu.
func (s *Server) checkUser(username, password string) bool {
	want, ok := s.users[username]
	return ok && secretsEqual(password, want)
}

// issue records and returns new tokens for g. Callers hold s.mu.
func (s *Server) issue(g grant) *tokenResponse {
	c := g.client
	now := s.now()
	expiry := now.Add(c.TokenLifetime)
	if g.refresh && g.fam == nil {
		g.fam = &family{}
	}
	at := &accessToken{
		clientID: c.ID,
		subject:  g.subject,
		scopes:   slices.Clone(g.scopes),
		expiry:   expiry,
		fam:      g.fam,
		bound:    s.bound,
	}
	value := randomString(32)
	if c.JWTAccessTokens {
		value = s.accessTokenJWT(at, now)
	}
	s.access[value] = at
	s.issuedAccess++

	resp := &tokenResponse{
		AccessToken: value,
		TokenType:   c.TokenType,
		ExpiresIn:   expiresIn(c.ExpiresIn, c.TokenLifetime),
		Scope:       strings.Join(g.scopes, " "),
	}
	if s.bound.jkt != "" {
		resp.TokenType = "DPoP"
	}
	if g.refresh {
		scopes := g.refreshScopes
		if scopes == nil {
			scopes = g.scopes
		}
		rt := &refreshToken{
			clientID: c.ID,
			subject:  g.subject,
			scopes:   slices.Clone(scopes),
			fam:      g.fam,
		}
		if c.AuthStyle == AuthNone {
			rt.jkt = s.bound.jkt // RFC 9449 §5: bound for public clients
		}
		if s.refreshLifetime > 0 {
			rt.expiry = now.Add(s.refreshLifetime)
		}
		resp.RefreshToken = randomString(32)
		s.refresh[resp.RefreshToken] = rt
	}
	if slices.Contains(g.scopes, "openid") {
		resp.IDToken = s.idToken(c, g.subject, g.nonce, now, expiry)
	}
	return resp
}

// expiresIn encodes lifetime as the expires_in value of format f, or returns
// nil to omit it.
func expiresIn(f ExpiresInFormat, lifetime time.Duration) json.RawMessage {
	secs := int64(lifetime / time.Second)
	switch f {
	case ExpiresString:
		return json.RawMessage(strconv.Quote(strconv.FormatInt(secs, 10)))
	case ExpiresFloat:
		if lifetime%time.Second == 0 {
			return json.RawMessage(strconv.FormatInt(secs, 10) + ".0")
		}
		return json.RawMessage(strconv.FormatFloat(lifetime.Seconds(), 'f', -1, 64))
	case ExpiresOmitted:
		return nil
	}
	return json.RawMessage(strconv.FormatInt(secs, 10))
}

// RevokeAll revokes every access and refresh token issued so far, as if the
// authorization server had lost or reset its sessions.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.access {
		t.revoked = true
	}
	for _, t := range s.refresh {
		t.revoked = true
	}
}

// randomString returns n random bytes, base64url-encoded without padding.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
