package oauth2test

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// authCode is the server's record of an authorization code.
type authCode struct {
	clientID    string
	redirectURI string // as sent in the authorization request; "" if none was
	subject     string
	scopes      []string
	challenge   string
	method      string
	nonce       string
	dpopJKT     string // RFC 9449 §10: the key the code is bound to
	expiry      time.Time
	used        bool
	fam         *family // tokens issued with the code
}

// authRequest is a validated authorization request.
type authRequest struct {
	client       *Client
	params       url.Values
	redirectURI  string // where to redirect: sent or registered
	responseType string
	scopes       []string
}

// handleAuthorize serves the authorization endpoint: GET shows the login form
// (or approves at once with Options.AutoApproveUser) and POST submits it.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.authorizeGet(w, r)
	case http.MethodPost:
		s.authorizePost(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		renderMessage(w, http.StatusMethodNotAllowed, "Error", "method not allowed")
	}
}

func (s *Server) authorizeGet(w http.ResponseWriter, r *http.Request) {
	params, msg := s.pushedParams(r.URL.Query())
	if msg != "" {
		renderMessage(w, http.StatusBadRequest, "Error", msg)
		return
	}
	ar, ok := s.parseAuthRequest(w, r, params)
	if !ok {
		return
	}
	if s.autoApproveUser != "" {
		s.redirect(w, r, s.approve(ar, s.autoApproveUser))
		return
	}
	s.renderLogin(w, ar, "", "")
}

func (s *Server) authorizePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		renderMessage(w, http.StatusBadRequest, "Error", "malformed form")
		return
	}
	form := url.Values{}
	for k, vs := range r.PostForm {
		if k != "username" && k != "password" && k != "action" {
			form[k] = vs
		}
	}
	form, msg := s.pushedParams(form)
	if msg != "" {
		renderMessage(w, http.StatusBadRequest, "Error", msg)
		return
	}
	ar, ok := s.parseAuthRequest(w, r, form)
	if !ok {
		return
	}
	if r.PostForm.Get("action") == "deny" {
		s.redirect(w, r, s.errorRedirect(ar, "access_denied", "the user denied the request"))
		return
	}
	username := r.PostForm.Get("username")
	s.mu.Lock()
	ok = s.checkUser(username, r.PostForm.Get("password"))
	s.mu.Unlock()
	if !ok {
		s.renderLogin(w, ar, username, "Invalid username or password.")
		return
	}
	s.redirect(w, r, s.approve(ar, username))
}

// parseAuthRequest validates an authorization request. When it fails, it
// answers the request itself, with an error page or an error redirect, and
// returns false.
func (s *Server) parseAuthRequest(w http.ResponseWriter, r *http.Request, params url.Values) (*authRequest, bool) {
	for k, vs := range params {
		if len(vs) > 1 {
			renderMessage(w, http.StatusBadRequest, "Error", fmt.Sprintf("parameter %q included more than once", k))
			return nil, false
		}
	}
	c := s.clients[params.Get("client_id")]
	if c == nil {
		renderMessage(w, http.StatusBadRequest, "Error", "unknown or missing client_id")
		return nil, false
	}
	redirectURI, msg := c.redirectURI(params.Get("redirect_uri"))
	if msg != "" {
		renderMessage(w, http.StatusBadRequest, "Error", msg)
		return nil, false
	}
	if _, err := url.Parse(redirectURI); err != nil {
		renderMessage(w, http.StatusBadRequest, "Error", "malformed redirect_uri")
		return nil, false
	}
	ar := &authRequest{client: c, params: params, redirectURI: redirectURI, responseType: params.Get("response_type")}
	if e := ar.validate(); e != nil {
		s.redirect(w, r, s.errorRedirect(ar, e.code, e.description))
		return nil, false
	}
	return ar, true
}

// validate checks the parts of an authorization request whose errors are
// reported to the client by redirect (RFC 6749 section 4.1.2.1).
func (ar *authRequest) validate() *oauthError {
	c := ar.client
	switch ar.responseType {
	case "":
		return errInvalidRequest("missing response_type")
	case "code":
		if !c.allows(GrantAuthorizationCode) {
			return errUnauthorizedClient("the client may not use the authorization code flow")
		}
	case "token":
		if !c.allows(GrantImplicit) {
			return errUnauthorizedClient("the client may not use the implicit flow")
		}
	default:
		return &oauthError{http.StatusBadRequest, "unsupported_response_type", "response_type " + strconv.Quote(ar.responseType) + " is not supported"}
	}
	scopes, e := c.grantScopes(ar.params.Get("scope"))
	if e != nil {
		return e
	}
	ar.scopes = scopes
	if ar.responseType != "code" {
		return nil
	}
	challenge, method := ar.params.Get("code_challenge"), ar.params.Get("code_challenge_method")
	switch {
	case challenge == "" && c.RequirePKCE:
		return errInvalidRequest("code_challenge required")
	case challenge == "" && method != "":
		return errInvalidRequest("code_challenge_method without code_challenge")
	case challenge == "":
		return nil
	case method != "" && method != "S256" && method != "plain":
		return errInvalidRequest("unsupported code_challenge_method " + strconv.Quote(method))
	case !validPKCEString(challenge):
		return errInvalidRequest("malformed code_challenge")
	}
	return nil
}

// approve issues a code or, for the implicit flow, an access token for the
// user and returns the URL to redirect the browser to.
func (s *Server) approve(ar *authRequest, username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := ar.params
	out := url.Values{}
	if ar.responseType == "token" {
		resp := s.issue(grant{client: ar.client, subject: username, scopes: ar.scopes})
		out.Set("access_token", resp.AccessToken)
		out.Set("token_type", resp.TokenType)
		if ar.client.ExpiresIn != ExpiresOmitted {
			out.Set("expires_in", strconv.FormatInt(int64(ar.client.TokenLifetime/time.Second), 10))
		}
		if resp.Scope != "" {
			out.Set("scope", resp.Scope)
		}
	} else {
		code := randomString(32)
		method := p.Get("code_challenge_method")
		if method == "" && p.Get("code_challenge") != "" {
			method = "plain"
		}
		s.codes[code] = &authCode{
			clientID:    ar.client.ID,
			redirectURI: p.Get("redirect_uri"),
			subject:     username,
			scopes:      ar.scopes,
			challenge:   p.Get("code_challenge"),
			method:      method,
			nonce:       p.Get("nonce"),
			dpopJKT:     p.Get("dpop_jkt"),
			expiry:      s.now().Add(CodeLifetime),
		}
		out.Set("code", code)
	}
	if state := p.Get("state"); state != "" {
		out.Set("state", state)
	}
	return ar.redirectTo(out)
}

// errorRedirect returns the redirect URL that reports an error to the client.
func (s *Server) errorRedirect(ar *authRequest, code, description string) string {
	out := url.Values{"error": {code}}
	if description != "" {
		out.Set("error_description", description)
	}
	if state := ar.params.Get("state"); state != "" {
		out.Set("state", state)
	}
	return ar.redirectTo(out)
}

// redirectTo adds params to the redirect URI: in the fragment for the
// implicit flow, in the query otherwise.
func (ar *authRequest) redirectTo(params url.Values) string {
	if ar.responseType == "token" {
		return ar.redirectURI + "#" + params.Encode()
	}
	u, err := url.Parse(ar.redirectURI)
	if err != nil {
		return ar.redirectURI
	}
	q := u.Query()
	maps.Copy(q, params)
	u.RawQuery = q.Encode()
	return u.String()
}

// redirect sends a 302 to target.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, target string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// renderLogin shows the login form, carrying the authorization request in
// hidden fields.
func (s *Server) renderLogin(w http.ResponseWriter, ar *authRequest, username, errMsg string) {
	data := loginData{
		ClientID: ar.client.ID,
		Scope:    strings.Join(ar.scopes, " "),
		Username: username,
		Error:    errMsg,
	}
	for _, k := range slices.Sorted(maps.Keys(ar.params)) {
		data.Hidden = append(data.Hidden, hiddenField{Name: k, Value: ar.params.Get(k)})
	}
	renderHTML(w, http.StatusOK, loginTemplate, data)
}

// authorizationCodeGrant implements RFC 6749 section 4.1.3 with PKCE
// (RFC 7636).
func (s *Server) authorizationCodeGrant(c *Client, req *Request) (*tokenResponse, *oauthError) {
	value := req.Params["code"]
	if value == "" {
		return nil, errInvalidRequest("missing code")
	}
	ac := s.codes[value]
	switch {
	case ac == nil || ac.clientID != c.ID:
		return nil, errInvalidGrant("unknown authorization code")
	case ac.used:
		if ac.fam != nil {
			ac.fam.revoked = true
		}
		return nil, errInvalidGrant("authorization code already used; tokens issued with it are revoked")
	case !s.now().Before(ac.expiry):
		return nil, errInvalidGrant("authorization code expired")
	case ac.redirectURI != "" && req.Params["redirect_uri"] != ac.redirectURI:
		return nil, errInvalidGrant("redirect_uri does not match the authorization request")
	}
	if e := verifyPKCE(ac, req.Params["code_verifier"]); e != nil {
		return nil, e
	}
	if e := s.checkBinding(ac.dpopJKT, "the authorization code"); e != nil {
		return nil, e
	}
	ac.used = true
	ac.fam = &family{}
	return s.issue(grant{
		client:  c,
		subject: ac.subject,
		scopes:  ac.scopes,
		refresh: c.IssueRefreshToken,
		fam:     ac.fam,
		nonce:   ac.nonce,
	}), nil
}

// verifyPKCE checks a code_verifier against the code's challenge.
func verifyPKCE(ac *authCode, verifier string) *oauthError {
	switch {
	case ac.challenge == "" && verifier != "":
		return errInvalidGrant("code_verifier sent but the authorization request had no code_challenge")
	case ac.challenge == "":
		return nil
	case verifier == "":
		return errInvalidGrant("missing code_verifier")
	case !validPKCEString(verifier):
		return errInvalidGrant("malformed code_verifier")
	}
	want := verifier
	if ac.method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if !secretsEqual(want, ac.challenge) {
		return errInvalidGrant("code_verifier does not match code_challenge")
	}
	return nil
}

// validPKCEString reports whether s has the length and alphabet RFC 7636
// section 4.1 requires of a code verifier (and thus of a challenge).
func validPKCEString(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		switch {
		case 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z', '0' <= r && r <= '9',
			r == '-', r == '.', r == '_', r == '~':
		default:
			return false
		}
	}
	return true
}
