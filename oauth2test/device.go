package oauth2test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// deviceStatus is the user's decision on a device authorization.
type deviceStatus int

const (
	devicePending deviceStatus = iota
	deviceApproved
	deviceDenied
)

// deviceGrant is the server's record of a device authorization (RFC 8628).
type deviceGrant struct {
	deviceCode string
	userCode   string // as shown to the user, e.g. "BCDF-GHJK"
	clientID   string
	scopes     []string
	expiry     time.Time
	interval   time.Duration // grows by 5s with every slow_down
	lastPoll   time.Time
	status     deviceStatus
	subject    string
	consumed   bool
}

// deviceResponse is a device authorization response (RFC 8628 section 3.2).
type deviceResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int    `json:"interval,omitempty"`
}

// userCodeAlphabet is the RFC 8628 section 6.1 alphabet: consonants only, so
// that codes spell no words and survive case changes.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// handleDeviceAuthorization serves the device authorization endpoint.
func (s *Server) handleDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	req, ok := readPost(w, r, "device authorization")
	if !ok {
		return
	}
	s.mu.Lock()
	resp, e := s.deviceAuthorization(req)
	s.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// deviceAuthorization starts a device authorization. Callers hold s.mu.
func (s *Server) deviceAuthorization(req *Request) (*deviceResponse, *oauthError) {
	c, e := s.authenticate(req)
	if e != nil {
		return nil, e
	}
	if !c.allows(GrantDeviceCode) {
		return nil, errUnauthorizedClient("the client may not use the device authorization grant")
	}
	scopes, e := c.grantScopes(req.Params["scope"])
	if e != nil {
		return nil, e
	}
	interval := s.deviceInterval
	if interval < 0 {
		interval = DefaultDeviceInterval
	}
	d := &deviceGrant{
		deviceCode: randomString(32),
		userCode:   s.newUserCode(),
		clientID:   c.ID,
		scopes:     scopes,
		expiry:     s.now().Add(s.deviceCodeLifetime),
		interval:   time.Duration(interval) * time.Second,
	}
	s.devices[d.deviceCode] = d
	s.userCodes[normalizeUserCode(d.userCode)] = d
	resp := &deviceResponse{
		DeviceCode:              d.deviceCode,
		UserCode:                d.userCode,
		VerificationURI:         s.VerificationURL(),
		VerificationURIComplete: s.VerificationURL() + "?user_code=" + url.QueryEscape(d.userCode),
		ExpiresIn:               int64(s.deviceCodeLifetime / time.Second),
	}
	if s.deviceInterval > 0 {
		resp.Interval = s.deviceInterval
	}
	return resp, nil
}

// newUserCode returns an unused user code of the form "BCDF-GHJK". Callers
// hold s.mu.
func (s *Server) newUserCode() string {
	for {
		var b strings.Builder
		for b.Len() < 9 {
			if b.Len() == 4 {
				b.WriteByte('-')
			}
			var c [1]byte
			rand.Read(c[:])
			if int(c[0]) >= 256/len(userCodeAlphabet)*len(userCodeAlphabet) {
				continue // reject to keep the distribution uniform
			}
			b.WriteByte(userCodeAlphabet[int(c[0])%len(userCodeAlphabet)])
		}
		if code := b.String(); s.userCodes[normalizeUserCode(code)] == nil {
			return code
		}
	}
}

// normalizeUserCode makes user input comparable with issued user codes: it
// ignores case, dashes and spaces.
func normalizeUserCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(code))
}

// deviceCodeGrant implements RFC 8628 section 3.4 and 3.5. A poll that comes
// sooner than 90% of the interval after the previous one (the allowance is
// for timer jitter in clients) is answered with slow_down, and the interval
// grows by 5 seconds.
func (s *Server) deviceCodeGrant(c *Client, req *Request) (*tokenResponse, *oauthError) {
	value := req.Params["device_code"]
	if value == "" {
		return nil, errInvalidRequest("missing device_code")
	}
	d := s.devices[value]
	if d == nil || d.clientID != c.ID {
		return nil, errInvalidGrant("unknown device_code")
	}
	if d.consumed {
		return nil, errInvalidGrant("device_code already used")
	}
	now := s.now()
	if !now.Before(d.expiry) {
		return nil, &oauthError{http.StatusBadRequest, "expired_token", "the device_code has expired"}
	}
	tooSoon := !d.lastPoll.IsZero() && now.Sub(d.lastPoll) < d.interval*9/10
	d.lastPoll = now
	if tooSoon {
		d.interval += 5 * time.Second
		return nil, &oauthError{http.StatusBadRequest, "slow_down", fmt.Sprintf("poll at most every %v", d.interval)}
	}
	switch d.status {
	case devicePending:
		return nil, &oauthError{http.StatusBadRequest, "authorization_pending", "the user has not yet approved the request"}
	case deviceDenied:
		return nil, &oauthError{http.StatusBadRequest, "access_denied", "the user denied the request"}
	}
	d.consumed = true
	return s.issue(grant{client: c, subject: d.subject, scopes: d.scopes, refresh: c.IssueRefreshToken}), nil
}

// ApproveDevice approves the device authorization with userCode on behalf of
// username, as if the user had signed in at VerificationURL. The user code is
// matched ignoring case, dashes and spaces. It fails if the code is unknown,
// expired or already decided.
func (s *Server) ApproveDevice(userCode, username string) error {
	if username == "" {
		return errors.New("oauth2test: ApproveDevice: empty username")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decideDevice(userCode, deviceApproved, username)
}

// DenyDevice denies the device authorization with userCode, as if the user
// had pressed "Deny" at VerificationURL. It fails if the code is unknown,
// expired or already decided.
func (s *Server) DenyDevice(userCode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decideDevice(userCode, deviceDenied, "")
}

// decideDevice records the user's decision. Callers hold s.mu.
func (s *Server) decideDevice(userCode string, status deviceStatus, username string) error {
	d := s.userCodes[normalizeUserCode(userCode)]
	switch {
	case d == nil:
		return fmt.Errorf("oauth2test: unknown user code %q", userCode)
	case !s.now().Before(d.expiry):
		return fmt.Errorf("oauth2test: user code %q has expired", userCode)
	case d.status != devicePending:
		return fmt.Errorf("oauth2test: user code %q was already approved or denied", userCode)
	}
	d.status = status
	d.subject = username
	return nil
}

// handleDevice serves the user page of the device flow: GET shows a form to
// enter the user code (prefilled from the user_code query parameter) and sign
// in; POST approves (action=approve, with username and password) or denies
// (action=deny).
func (s *Server) handleDevice(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		renderHTML(w, http.StatusOK, deviceTemplate, deviceData{UserCode: r.URL.Query().Get("user_code")})
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		renderMessage(w, http.StatusMethodNotAllowed, "Error", "method not allowed")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		renderMessage(w, http.StatusBadRequest, "Error", "malformed form")
		return
	}
	f := r.PostForm
	data := deviceData{UserCode: f.Get("user_code"), Username: f.Get("username")}
	var err error
	approve := f.Get("action") != "deny"
	s.mu.Lock()
	switch {
	case !approve:
		err = s.decideDevice(data.UserCode, deviceDenied, "")
	case !s.checkUser(data.Username, f.Get("password")):
		err = errBadLogin
	default:
		err = s.decideDevice(data.UserCode, deviceApproved, data.Username)
	}
	s.mu.Unlock()
	switch {
	case err == errBadLogin:
		data.Error = "Invalid username or password."
		renderHTML(w, http.StatusOK, deviceTemplate, data)
	case err != nil:
		data.Error = strings.TrimPrefix(err.Error(), "oauth2test: ")
		renderHTML(w, http.StatusBadRequest, deviceTemplate, data)
	case approve:
		renderMessage(w, http.StatusOK, "Device connected", "You may close this page and return to your device.")
	default:
		renderMessage(w, http.StatusOK, "Access denied", "The device was not connected.")
	}
}

// errBadLogin reports a wrong username or password on the device page.
var errBadLogin = errors.New("oauth2test: invalid username or password")
