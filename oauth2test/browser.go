package oauth2test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Authorize simulates a user's browser at the authorization endpoint: it GETs
// authURL (as built by a client), submits the login form with username and
// password, and returns the URL the browser would be redirected to, without
// following it. That URL carries code and state in its query, or for
// response_type=token the access token in its fragment; when the server
// redirects with an error (such as invalid_scope), the URL carries that
// error and Authorize returns it with a nil error.
//
// Authorize returns an error when the server answers with a page instead of
// a redirect, such as for an unknown client or redirect_uri, or a wrong
// password.
func (s *Server) Authorize(authURL, username, password string) (*url.URL, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("oauth2test: Authorize: %w", err)
	}
	hc := &http.Client{
		Transport:     s.ts.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	resp, err := hc.Get(authURL)
	if err != nil {
		return nil, fmt.Errorf("oauth2test: Authorize: %w", err)
	}
	if loc, err := redirectLocation(resp); loc != nil || err != nil {
		return loc, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("oauth2test: Authorize: authorization page: %s: %s", resp.Status, pageMessage(resp))
	}
	pageMessage(resp) // drain
	form := u.Query()
	form.Set("username", username)
	form.Set("password", password)
	form.Set("action", "approve")
	action := *u
	action.RawQuery, action.Fragment, action.RawFragment = "", "", ""
	resp, err = hc.PostForm(action.String(), form)
	if err != nil {
		return nil, fmt.Errorf("oauth2test: Authorize: %w", err)
	}
	if loc, err := redirectLocation(resp); loc != nil || err != nil {
		return loc, err
	}
	return nil, fmt.Errorf("oauth2test: Authorize: login failed: %s: %s", resp.Status, pageMessage(resp))
}

// redirectLocation returns the Location of a redirect response, closing its
// body, or nil if resp is not a redirect.
func redirectLocation(resp *http.Response) (*url.URL, error) {
	switch resp.StatusCode {
	case http.StatusFound, http.StatusSeeOther, http.StatusMovedPermanently,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return nil, nil
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("oauth2test: Authorize: redirect: %w", err)
	}
	return loc, nil
}

// pageMessage returns the error or message shown by one of the server's HTML
// pages, and closes the body.
func pageMessage(resp *http.Response) string {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return err.Error()
	}
	page := string(b)
	for _, id := range []string{`id="error"`, `id="message"`} {
		_, rest, ok := strings.Cut(page, id)
		if !ok {
			continue
		}
		if _, rest, ok = strings.Cut(rest, ">"); ok {
			msg, _, _ := strings.Cut(rest, "<")
			return html.UnescapeString(msg)
		}
	}
	return "unexpected page"
}
