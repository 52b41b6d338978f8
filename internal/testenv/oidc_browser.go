package testenv

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// maxSteps bounds the pages one scripted login may submit.
const maxSteps = 10

// Login plays the user's browser for an authorization request: it opens authURL (a complete
// authorization URL, with PKCE parameters), submits the provider's devInteractions login form as
// username (any password is accepted) and any consent form, and follows redirects until one
// points at redirectPrefix. That redirect is not followed; its URL is returned, carrying code,
// state and iss (or error and error_description).
//
// redirectPrefix must be specific enough not to match the provider's own pages, e.g.
// "http://127.0.0.1:8765/callback", not "http://127.0.0.1". When the redirect carries an error
// parameter, Login returns both the URL and an error. Cookies (path-scoped to the interaction)
// live in a cookie jar private to this call, so each Login is a fresh browser session.
func Login(ctx context.Context, authURL, redirectPrefix, username string) (*url.URL, error) {
	if redirectPrefix == "" {
		return nil, errors.New("testenv.Login: empty redirectPrefix")
	}
	start, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("testenv.Login: bad authURL: %v", err)
	}
	b := newBrowser(start, redirectPrefix)
	defer b.close()

	p, err := b.get(ctx, authURL)
	for step := 0; ; step++ {
		if err != nil {
			return nil, fmt.Errorf("testenv.Login: %w", err)
		}
		if p.redirect != nil && strings.HasPrefix(p.redirect.String(), redirectPrefix) {
			q := p.redirect.Query()
			if e := q.Get("error"); e != "" {
				return p.redirect, fmt.Errorf("testenv.Login: authorization failed: %s: %s", e, q.Get("error_description"))
			}
			return p.redirect, nil
		}
		if step == maxSteps {
			return nil, fmt.Errorf("testenv.Login: no redirect to %s after %d pages; last %s", redirectPrefix, maxSteps, p)
		}
		if p.status != http.StatusOK {
			return nil, fmt.Errorf("testenv.Login: %s", p)
		}
		p, err = b.submitForm(ctx, p, username)
	}
}

// ApproveDevice plays the user of the device authorization grant (RFC 8628): it opens
// verificationURIComplete (from the device authorization response), confirms the user code,
// signs in as username and confirms any consent page, until the provider shows its success page.
// It does not wait: a client that polls before ApproveDevice returns sees authorization_pending.
// issuer is the provider's issuer URL; forms are only ever submitted to its origin.
func ApproveDevice(ctx context.Context, issuer, verificationURIComplete, username string) error {
	iss, err := url.Parse(issuer)
	if err != nil || iss.Host == "" {
		return fmt.Errorf("testenv.ApproveDevice: bad issuer %q", issuer)
	}
	b := newBrowser(iss, "")
	defer b.close()

	p, err := b.get(ctx, verificationURIComplete)
	for step := 0; ; step++ {
		if err != nil {
			return fmt.Errorf("testenv.ApproveDevice: %w", err)
		}
		if p.status != http.StatusOK {
			return fmt.Errorf("testenv.ApproveDevice: %s", p)
		}
		if strings.Contains(p.body, "<h1>Sign-in Success</h1>") {
			return nil
		}
		if m := pageErrorRe.FindStringSubmatch(p.body); m != nil {
			return fmt.Errorf("testenv.ApproveDevice: %s says: %s", p.url, text(m[1]))
		}
		if step == maxSteps {
			return fmt.Errorf("testenv.ApproveDevice: no success page after %d pages; last %s", maxSteps, p)
		}
		p, err = b.submitForm(ctx, p, username)
	}
}

// browser is a minimal scripted browser: cookie jar, redirects, HTML forms.
type browser struct {
	client *http.Client
	tr     *http.Transport
	origin string // scheme://host the forms may be submitted to
}

func newBrowser(origin *url.URL, stopPrefix string) *browser {
	jar, _ := cookiejar.New(nil) // never fails without options
	tr := &http.Transport{Proxy: nil}
	b := &browser{tr: tr, origin: origin.Scheme + "://" + origin.Host}
	b.client = &http.Client{Transport: tr, Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if stopPrefix != "" && strings.HasPrefix(req.URL.String(), stopPrefix) {
			return http.ErrUseLastResponse
		}
		if len(via) >= maxSteps {
			return fmt.Errorf("stopped after %d redirects", len(via))
		}
		return nil
	}}
	return b
}

func (b *browser) close() { b.tr.CloseIdleConnections() }

// page is one response as the browser saw it.
type page struct {
	url      *url.URL // after redirects
	status   int
	body     string
	redirect *url.URL // set when a redirect to the stop prefix ended the request
}

func (p *page) String() string {
	return fmt.Sprintf("page %s: HTTP %d: %s", p.url, p.status, text(p.body))
}

func (b *browser) get(ctx context.Context, u string) (*page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return b.do(req)
}

func (b *browser) do(req *http.Request) (*page, error) {
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", resp.Request.URL, err)
	}
	p := &page{url: resp.Request.URL, status: resp.StatusCode, body: string(body)}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// Only a redirect CheckRedirect refused to follow (the stop prefix) ends up here.
		loc, err := resp.Request.URL.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("bad redirect from %s: %v", resp.Request.URL, err)
		}
		p.redirect = loc
	}
	return p, nil
}

var (
	formRe      = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRe     = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	attrRe      = regexp.MustCompile(`(?is)([a-z][a-z0-9_:.-]*)\s*=\s*"([^"]*)"`)
	pageErrorRe = regexp.MustCompile(`(?is)<p class="red">(.*?)</p>`)
	dropRe      = regexp.MustCompile(`(?is)<(style|script)\b.*?</(style|script)>`)
	tagRe       = regexp.MustCompile(`(?s)<[^>]*>`)
)

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

// submitForm submits the first POST form of p: hidden inputs keep their values, a password input
// gets Password, an empty text input (the login field) gets username.
func (b *browser) submitForm(ctx context.Context, p *page, username string) (*page, error) {
	for _, f := range formRe.FindAllStringSubmatch(p.body, -1) {
		fa := attrs(f[1])
		if !strings.EqualFold(fa["method"], "post") {
			continue
		}
		action, err := p.url.Parse(fa["action"])
		if err != nil {
			return nil, fmt.Errorf("bad form action %q at %s: %v", fa["action"], p.url, err)
		}
		if action.Scheme+"://"+action.Host != b.origin {
			return nil, fmt.Errorf("form at %s posts to %s, outside %s", p.url, action, b.origin)
		}
		vals := url.Values{}
		for _, in := range inputRe.FindAllStringSubmatch(f[2], -1) {
			ia := attrs(in[1])
			name := ia["name"]
			if name == "" {
				continue
			}
			switch typ := strings.ToLower(ia["type"]); {
			case typ == "password":
				vals.Set(name, Password)
			case (typ == "text" || typ == "email" || typ == "") && ia["value"] == "":
				vals.Set(name, username)
			default:
				vals.Set(name, ia["value"])
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(vals.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return b.do(req)
	}
	return nil, fmt.Errorf("no form to submit on %s", p)
}

// text turns an HTML excerpt into one short line of text for error messages.
func text(s string) string {
	s = dropRe.ReplaceAllString(s, " ")
	s = html.UnescapeString(tagRe.ReplaceAllString(s, " "))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
