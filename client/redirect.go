package client

import (
	"crypto/subtle"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// ParseImplicitRedirect reads the token from the fragment of an implicit
// grant redirect (RFC 6749 §4.2.2). It checks, in constant time, that the
// state equals wantState, which must not be empty. An error redirect
// (§4.2.2.1) gives an *oauth2.RetrieveError. The token never has a refresh
// token.
func ParseImplicitRedirect(redirectURL, wantState string) (*oauth2.Token, error) {
	u, err := url.Parse(redirectURL)
	if err != nil {
		return nil, &ResponseError{Reason: "redirect URL is not a URL"}
	}
	// Split the escaped fragment, then unescape each value: decoding
	// first would turn an escaped "+", "&" or "%" inside a token into a
	// separator.
	frag := u.EscapedFragment()
	if frag == "" {
		frag = u.RawQuery // some servers use the query; RFC 6749 says the fragment
	}
	q, err := url.ParseQuery(frag)
	if err != nil {
		return nil, &ResponseError{Reason: "redirect fragment is malformed"}
	}
	if err := checkState(q.Get("state"), wantState); err != nil {
		return nil, err
	}
	if code := q.Get("error"); code != "" {
		return nil, redirectError(q)
	}
	at := q.Get("access_token")
	if at == "" {
		return nil, &ResponseError{Reason: "redirect fragment has no access_token"}
	}
	if tt := q.Get("token_type"); tt != "" && !strings.EqualFold(tt, "bearer") {
		return nil, &ResponseError{Reason: "unsupported token_type " + truncate(tt, 32)}
	}
	tok := &oauth2.Token{AccessToken: at, TokenType: q.Get("token_type")}
	secs, present, err := expiresIn(q.Get("expires_in"))
	if err != nil {
		return nil, &ResponseError{Reason: err.Error()}
	}
	setExpiry(tok, secs, present, time.Now(), 0)
	extra := map[string]any{}
	for k := range q {
		if k != "access_token" && k != "refresh_token" && k != "state" {
			extra[k] = q.Get(k)
		}
	}
	return tok.WithExtra(extra), nil
}

// ParseCallback reads the authorization code from an authorization code
// grant redirect (RFC 6749 §4.1.2), checking in constant time that the
// state equals wantState, which must not be empty. An error redirect
// gives an *oauth2.RetrieveError.
func ParseCallback(callbackURL, wantState string) (code string, err error) {
	u, err := url.Parse(callbackURL)
	if err != nil {
		return "", &ResponseError{Reason: "callback URL is not a URL"}
	}
	q := u.Query()
	if err := checkState(q.Get("state"), wantState); err != nil {
		return "", err
	}
	if q.Get("error") != "" {
		return "", redirectError(q)
	}
	if code = q.Get("code"); code == "" {
		return "", &ResponseError{Reason: "callback has no code"}
	}
	return code, nil
}

func checkState(got, want string) error {
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return ErrStateMismatch
	}
	return nil
}

func redirectError(q url.Values) error {
	re := &oauth2.RetrieveError{
		ErrorCode:        truncate(q.Get("error"), 64),
		ErrorDescription: truncate(q.Get("error_description"), 512),
		ErrorURI:         truncate(q.Get("error_uri"), 512),
	}
	return re
}
