package oauth2test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Grant types and parameter values beyond RFC 6749.
const (
	// GrantJWTBearer is the JWT bearer grant (RFC 7523 section 2.1). The
	// assertion must be signed with the client's PublicKey; its sub becomes
	// the token's subject.
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// GrantTokenExchange is token exchange (RFC 8693). The subject token
	// must be a valid access token of this server, of type
	// TokenTypeAccessToken; the new token has its subject.
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	// TokenTypeAccessToken is the token type of subject and issued tokens.
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"

	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	requestURIPrefix    = "urn:ietf:params:oauth:request_uri:"
	// PARLifetime is how long a pushed request's request_uri is valid.
	PARLifetime = time.Minute
	// maxAssertionLifetime bounds exp - now of a client assertion.
	maxAssertionLifetime = 10 * time.Minute
	// maxGrantAssertionLifetime bounds exp - now of a JWT bearer grant\'s
	// assertion (service accounts use one hour).
	maxGrantAssertionLifetime = time.Hour + time.Minute
)

// extState is the server state of the standards beyond client secrets.
// Callers hold s.mu.
type extState struct {
	jtis       map[string]time.Time      // client assertion jti -> exp, for replay detection
	pushed     map[string]*pushedRequest // by request_uri
	registered map[string]*Client        // dynamically registered clients
	regTokens  map[string]string         // registration access token -> client ID
}

// pushedMarker marks an authorization request expanded from a request_uri
// in the login page\'s form.
const pushedMarker = "oauth2test_pushed_request"

type pushedRequest struct {
	clientID string
	params   url.Values
	expiry   time.Time
}

func (s *Server) ext() *extState {
	if s.std == nil {
		s.std = &extState{jtis: map[string]time.Time{}, pushed: map[string]*pushedRequest{},
			registered: map[string]*Client{}, regTokens: map[string]string{}}
	}
	return s.std
}

// lookupClient returns a configured or registered client. Callers hold s.mu.
func (s *Server) lookupClient(id string) *Client {
	if c := s.clients[id]; c != nil {
		return c
	}
	return s.ext().registered[id]
}

// IntrospectionURL returns the URL of the introspection endpoint (RFC
// 7662). The client authenticates as at the token endpoint and may
// introspect its own tokens only; others are inactive.
func (s *Server) IntrospectionURL() string { return s.URL + "/introspect" }

// PARURL returns the URL of the pushed authorization request endpoint
// (RFC 9126). A client with RequirePAR must use it.
func (s *Server) PARURL() string { return s.URL + "/par" }

// RegistrationURL returns the URL of the dynamic client registration
// endpoint (RFC 7591, open: no initial access token), with RFC 7592
// management at RegistrationURL()+"/"+client_id. Registered clients use
// the token, introspection and revocation endpoints; the authorization
// endpoint knows only the clients of Options.
func (s *Server) RegistrationURL() string { return s.URL + "/register" }

// verifyAssertion authenticates a client by client_assertion
// (private_key_jwt with Client.PublicKey, client_secret_jwt with
// Client.Secret). Callers hold s.mu.
func (s *Server) verifyAssertion(req *Request) (*Client, *oauthError) {
	if req.Params["client_assertion_type"] != clientAssertionType {
		return nil, errInvalidClient("unsupported client_assertion_type")
	}
	if req.UsedBasic || req.Params["client_secret"] != "" {
		return nil, errInvalidRequest("more than one client authentication method")
	}
	raw := req.Params["client_assertion"]
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{
		jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.HS256})
	if err != nil {
		return nil, errInvalidClient("malformed client_assertion")
	}
	var unverified struct {
		Iss string `json:"iss"`
	}
	_ = json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &unverified)
	c := s.lookupClient(unverified.Iss)
	if c == nil || (req.Params["client_id"] != "" && req.Params["client_id"] != c.ID) {
		return nil, errInvalidClient("unknown client")
	}
	alg := jws.Signatures[0].Header.Algorithm
	var key any
	switch {
	case c.AuthStyle == AuthPrivateKeyJWT && alg != string(jose.HS256) && c.PublicKey != nil:
		key = c.PublicKey
	case c.AuthStyle == AuthSecretJWT && alg == string(jose.HS256):
		key = []byte(c.Secret)
	default:
		return nil, errInvalidClient("the client does not authenticate with this assertion")
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, errInvalidClient("bad client_assertion signature")
	}
	claims, e := s.checkJWTClaims(payload, maxAssertionLifetime)
	if e != nil {
		return nil, errInvalidClient(e.description)
	}
	if claims.Iss != c.ID || claims.Sub != c.ID {
		return nil, errInvalidClient("client_assertion iss and sub must be the client ID")
	}
	return c, nil
}

type assertionClaims struct {
	Iss   string          `json:"iss"`
	Sub   string          `json:"sub"`
	Aud   json.RawMessage `json:"aud"`
	Exp   float64         `json:"exp"`
	Jti   string          `json:"jti"`
	Scope string          `json:"scope"`
}

// checkJWTClaims checks aud (the token URL or the issuer), exp (ahead,
// at most maxLife) and jti (never seen before). Callers hold s.mu.
func (s *Server) checkJWTClaims(payload []byte, maxLife time.Duration) (*assertionClaims, *oauthError) {
	var c assertionClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, errInvalidGrant("malformed JWT claims")
	}
	var auds []string
	if json.Unmarshal(c.Aud, &auds) != nil {
		var one string
		_ = json.Unmarshal(c.Aud, &one)
		auds = []string{one}
	}
	if !slices.Contains(auds, s.TokenURL()) && !slices.Contains(auds, s.URL) {
		return nil, errInvalidGrant("aud must be the token endpoint or the issuer")
	}
	now := s.now()
	exp := time.Unix(int64(c.Exp), 0)
	if !exp.After(now) || exp.Sub(now) > maxLife {
		return nil, errInvalidGrant("exp is in the past or too far ahead")
	}
	if c.Jti == "" {
		return nil, errInvalidGrant("missing jti")
	}
	st := s.ext()
	for j, e := range st.jtis {
		if !e.After(now) {
			delete(st.jtis, j)
		}
	}
	if _, seen := st.jtis[c.Jti]; seen {
		return nil, errInvalidGrant("jti replayed")
	}
	st.jtis[c.Jti] = exp
	return &c, nil
}

// jwtBearerGrant implements RFC 7523 section 2.1. Callers hold s.mu.
func (s *Server) jwtBearerGrant(c *Client, req *Request) (*tokenResponse, *oauthError) {
	jws, err := jose.ParseSignedCompact(req.Params["assertion"], []jose.SignatureAlgorithm{
		jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.ES512, jose.EdDSA})
	if err != nil || c.PublicKey == nil {
		return nil, errInvalidGrant("malformed assertion or no key to verify it")
	}
	payload, err := jws.Verify(c.PublicKey)
	if err != nil {
		return nil, errInvalidGrant("bad assertion signature")
	}
	claims, e := s.checkJWTClaims(payload, maxGrantAssertionLifetime)
	if e != nil {
		return nil, e
	}
	if claims.Sub == "" {
		return nil, errInvalidGrant("missing sub")
	}
	scope := req.Params["scope"]
	if scope == "" {
		scope = claims.Scope
	}
	scopes, e := c.grantScopes(scope)
	if e != nil {
		return nil, e
	}
	return s.issue(grant{client: c, subject: claims.Sub, scopes: scopes}), nil
}

// tokenExchangeGrant implements RFC 8693 for access tokens of this
// server. Callers hold s.mu.
func (s *Server) tokenExchangeGrant(c *Client, req *Request) (*tokenResponse, *oauthError) {
	p := req.Params
	switch {
	case p["subject_token"] == "" || p["subject_token_type"] == "":
		return nil, errInvalidRequest("missing subject_token or subject_token_type")
	case p["subject_token_type"] != TokenTypeAccessToken:
		return nil, errInvalidRequest("unsupported subject_token_type")
	case p["requested_token_type"] != "" && p["requested_token_type"] != TokenTypeAccessToken:
		return nil, errInvalidRequest("unsupported requested_token_type")
	case (p["actor_token"] == "") != (p["actor_token_type"] == ""):
		return nil, errInvalidRequest("actor_token and actor_token_type go together")
	}
	sub := s.access[p["subject_token"]]
	if sub == nil || !sub.valid(s.now()) {
		return nil, errInvalidGrant("subject_token is invalid or expired")
	}
	scopes, e := c.grantScopes(p["scope"])
	if e != nil {
		return nil, e
	}
	resp := s.issue(grant{client: c, subject: sub.subject, scopes: scopes})
	resp.IssuedTokenType = TokenTypeAccessToken
	return resp, nil
}

// handleIntrospect serves RFC 7662 introspection.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	req, ok := readPost(w, r, "introspection")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.authenticate(req)
	if e != nil {
		writeError(w, e)
		return
	}
	if req.Params["token"] == "" {
		writeError(w, errInvalidRequest("missing token"))
		return
	}
	out := map[string]any{"active": false}
	if t := s.access[req.Params["token"]]; t != nil && t.clientID == c.ID && t.valid(s.now()) {
		out = map[string]any{"active": true, "client_id": t.clientID, "sub": t.subject, "scope": strings.Join(t.scopes, " "),
			"exp": t.expiry.Unix(), "iss": s.URL, "token_type": c.TokenType}
	} else if rt := s.refresh[req.Params["token"]]; rt != nil && rt.clientID == c.ID && !rt.revoked && !rt.fam.revoked && !rt.rotated {
		out = map[string]any{"active": true, "client_id": rt.clientID, "sub": rt.subject, "scope": strings.Join(rt.scopes, " "), "iss": s.URL}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// handlePAR serves RFC 9126 pushed authorization requests.
func (s *Server) handlePAR(w http.ResponseWriter, r *http.Request) {
	req, ok := readPost(w, r, "pushed authorization request")
	if !ok {
		return
	}
	jkt, ok := s.checkTokenDPoP(w, r) // RFC 9449 §10.1: a proof binds the code
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.authenticate(req)
	if e != nil {
		writeError(w, e)
		return
	}
	if e := pushedJKT(req, jkt); e != nil {
		writeError(w, e)
		return
	}
	if req.Params["request_uri"] != "" {
		writeError(w, errInvalidRequest("request_uri must not be pushed"))
		return
	}
	params := url.Values{}
	for k, v := range req.Params {
		switch k {
		case "client_secret", "client_assertion", "client_assertion_type":
		default:
			params.Set(k, v)
		}
	}
	params.Set("client_id", c.ID)
	uri := requestURIPrefix + randomString(24)
	s.ext().pushed[uri] = &pushedRequest{clientID: c.ID, params: params, expiry: s.now().Add(PARLifetime)}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]any{"request_uri": uri, "expires_in": int(PARLifetime / time.Second)})
}

// pushedParams replaces an authorization request that carries a
// request_uri by the pushed request, and refuses an unpushed request of a
// RequirePAR client; msg says why. A request_uri may be reused until it
// expires (RFC 9126 section 4 allows it for reloads), by its client only.
func (s *Server) pushedParams(params url.Values) (out url.Values, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.ext()
	uri := params.Get("request_uri")
	if uri == "" {
		// The login page posts the expanded request back, marked.
		if p := st.pushed[params.Get(pushedMarker)]; p != nil && p.clientID == params.Get("client_id") {
			return params, ""
		}
		if c := s.clients[params.Get("client_id")]; c != nil && (c.RequirePAR || s.requirePAR) {
			return nil, "this client must use pushed authorization requests"
		}
		return params, ""
	}
	p := st.pushed[uri]
	if p != nil && !s.now().Before(p.expiry) {
		delete(st.pushed, uri)
		p = nil
	}
	if p == nil || p.clientID != params.Get("client_id") {
		return nil, "unknown or expired request_uri"
	}
	expanded := maps.Clone(p.params)
	expanded.Set(pushedMarker, uri)
	return expanded, ""
}

// handleRegister serves RFC 7591 registration and RFC 7592 management.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	id := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/register"), "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.ext()
	if id == "" {
		if r.Method != http.MethodPost {
			writeError(w, &oauthError{http.StatusMethodNotAllowed, "invalid_request", "POST only"})
			return
		}
		var md map[string]any
		if err := json.NewDecoder(r.Body).Decode(&md); err != nil || md == nil {
			writeError(w, &oauthError{http.StatusBadRequest, "invalid_client_metadata", "body must be a JSON object"})
			return
		}
		c, e := registeredClient("c-"+randomString(8), md)
		if e != nil {
			writeError(w, e)
			return
		}
		st.registered[c.ID] = c
		tok := randomString(24)
		st.regTokens[tok] = c.ID
		writeJSON(w, http.StatusCreated, s.clientInfo(c, md, tok))
		return
	}
	c := st.registered[id]
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if c == nil || st.regTokens[tok] != id {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.clientInfo(c, c.registeredMetadata, tok))
	case http.MethodPut:
		var md map[string]any
		if err := json.NewDecoder(r.Body).Decode(&md); err != nil || md["client_id"] != id {
			writeError(w, &oauthError{http.StatusBadRequest, "invalid_client_metadata", "body must be a JSON object with the client_id"})
			return
		}
		delete(md, "client_id")
		delete(md, "client_secret")
		nc, e := registeredClient(id, md)
		if e != nil {
			writeError(w, e)
			return
		}
		nc.Secret = c.Secret
		st.registered[id] = nc
		writeJSON(w, http.StatusOK, s.clientInfo(nc, md, tok))
	case http.MethodDelete:
		delete(st.registered, id)
		delete(st.regTokens, tok)
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// registeredClient builds a client from RFC 7591 metadata.
func registeredClient(id string, md map[string]any) (*Client, *oauthError) {
	strs := func(k string) []string {
		var out []string
		if vs, ok := md[k].([]any); ok {
			for _, v := range vs {
				if s, ok := v.(string); ok {
					out = append(out, s)
				}
			}
		}
		return out
	}
	redirects := strs("redirect_uris")
	for _, u := range redirects {
		if pu, err := url.Parse(u); err != nil || !pu.IsAbs() {
			return nil, &oauthError{http.StatusBadRequest, "invalid_redirect_uri", "redirect_uris must be absolute URIs"}
		}
	}
	c := &Client{ID: id, Secret: randomString(24), Grants: strs("grant_types"), RedirectURIs: redirects,
		TokenType: "Bearer", TokenLifetime: DefaultTokenLifetime, registeredMetadata: md}
	if sc, _ := md["scope"].(string); sc != "" {
		c.Scopes = strings.Fields(sc)
	}
	switch md["token_endpoint_auth_method"] {
	case nil, "client_secret_basic", "client_secret_post":
	case "none":
		c.AuthStyle, c.Secret = AuthNone, ""
	default:
		return nil, &oauthError{http.StatusBadRequest, "invalid_client_metadata", "unsupported token_endpoint_auth_method"}
	}
	return c, nil
}

func (s *Server) clientInfo(c *Client, md map[string]any, tok string) map[string]any {
	out := map[string]any{}
	for k, v := range md {
		out[k] = v
	}
	out["client_id"] = c.ID
	if c.Secret != "" {
		out["client_secret"] = c.Secret
		out["client_secret_expires_at"] = 0
	}
	out["client_id_issued_at"] = s.now().Unix()
	out["registration_access_token"] = tok
	out["registration_client_uri"] = s.RegistrationURL() + "/" + c.ID
	return out
}
