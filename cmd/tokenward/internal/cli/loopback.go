package cli

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
)

// CallbackPath is the path of the loopback redirect URI. Servers that
// register loopback clients by path (RFC 8252 §7.3, e.g. oidc-provider's
// http://127.0.0.1/callback) accept it on any port.
const CallbackPath = "/callback"

// callbackResult is what the one accepted callback carried.
type callbackResult struct {
	code string        // authorization code flow
	tok  *oauth2.Token // implicit flow
	err  error
}

// StartPath is the path prefix of the one-time start URL that the
// browser opener is given in place of the authorization URL.
const StartPath = "/start/"

// Loopback is the one-shot redirect listener of 'tokenward login' (RFC
// 8252 §7.3). It binds only to 127.0.0.1 and shows the browser a small
// success or failure page.
//
// The browser is sent to an unguessable one-time start URL
// (http://127.0.0.1:PORT/start/<random>), never to the authorization URL
// itself: the opener's command line is readable by every local user, and
// the state and PKCE challenge must not be. The start URL sets a cookie
// that binds the browser to this login and redirects to the authorization
// server. A callback without that cookie, or with the wrong state, is
// refused and the listener keeps waiting; the first callback with both
// ends the login, and later ones get 410 Gone.
//
// For the authorization code flow the callback is GET /callback?code=…;
// for the implicit flow the token is in the URL fragment, which browsers
// never send, so GET /callback serves a page whose script posts
// location.hash back to POST /callback on the same origin.
type Loopback struct {
	state    string
	implicit bool
	nonce    string // the start URL's secret path segment
	binding  string // the cookie value the callback must present
	cookie   string // the cookie's name (cookies are per host, not per port)

	ln     net.Listener
	srv    *http.Server
	result chan callbackResult

	mu      sync.Mutex
	done    bool   // a callback was accepted
	authURL string // where the start URL redirects; set by Start
	started bool   // the start URL was used
}

// NewLoopback listens on 127.0.0.1:port (0 picks a free port) for one
// callback with the given state. With implicit, the callback is the
// implicit flow's fragment page.
func NewLoopback(port int, state string, implicit bool) (*Loopback, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("cannot listen for the browser's redirect on 127.0.0.1:%d: %w", port, err)
	}
	l := &Loopback{state: state, implicit: implicit, ln: ln, result: make(chan callbackResult, 1),
		nonce: rand.Text(), binding: rand.Text()}
	l.cookie = "tokenward_login_" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	mux := http.NewServeMux()
	mux.HandleFunc(CallbackPath, l.handle)
	mux.HandleFunc(StartPath, l.start)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	l.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go l.srv.Serve(ln)
	return l, nil
}

// RedirectURL returns the redirect URI to register in the authorization
// request: http://127.0.0.1:PORT/callback.
func (l *Loopback) RedirectURL() string {
	return "http://" + l.ln.Addr().String() + CallbackPath
}

// Start registers the authorization URL and returns the one-time start
// URL to hand to the browser: http://127.0.0.1:PORT/start/<random>.
func (l *Loopback) Start(authURL string) string {
	l.mu.Lock()
	l.authURL = authURL
	l.mu.Unlock()
	return "http://" + l.ln.Addr().String() + StartPath + l.nonce
}

// start serves the start URL: once, with the binding cookie and a
// redirect to the authorization server.
func (l *Loopback) start(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	nonce := r.URL.Path[len(StartPath):]
	if r.Method != http.MethodGet || subtle.ConstantTimeCompare([]byte(nonce), []byte(l.nonce)) != 1 {
		http.NotFound(w, r)
		return
	}
	l.mu.Lock()
	authURL, used := l.authURL, l.started
	l.started = true
	l.mu.Unlock()
	if used || authURL == "" {
		page(w, http.StatusGone, false, "This sign-in link was already used. Run 'tokenward login' again.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: l.cookie, Value: l.binding, Path: CallbackPath,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 3600})
	http.Redirect(w, r, authURL, http.StatusFound)
}

// bound reports whether r carries this login's binding cookie.
func (l *Loopback) bound(r *http.Request) bool {
	c, err := r.Cookie(l.cookie)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(l.binding)) == 1
}

// Addr returns the listening address.
func (l *Loopback) Addr() net.Addr { return l.ln.Addr() }

// Wait waits for the accepted callback, ctx's end, or the timeout,
// whichever comes first. It returns the authorization code (code flow) or the token
// (implicit flow). A timeout is errLoginTimeout.
func (l *Loopback) Wait(ctx context.Context, timeout time.Duration) (code string, tok *oauth2.Token, err error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-l.result:
		return r.code, r.tok, r.err
	case <-t.C:
		return "", nil, errLoginTimeout
	case <-ctx.Done():
		return "", nil, context.Cause(ctx)
	}
}

// Close stops the listener, giving the last page a moment to be sent.
func (l *Loopback) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return l.srv.Shutdown(ctx)
}

// handle serves GET and POST /callback.
func (l *Loopback) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if !l.bound(r) && (r.Method == http.MethodGet || r.Method == http.MethodPost) {
		// Not the browser this login was started in: perhaps another local
		// user finishing the login with their own account. Keep waiting.
		page(w, http.StatusForbidden, false, "tokenward refused this sign-in: it was not started in this browser. Use the link tokenward printed.")
		return
	}
	switch {
	case l.implicit && r.Method == http.MethodGet && r.URL.RawQuery == "":
		if l.accepted() {
			page(w, http.StatusGone, false, "This sign-in is already complete. You can close this window.")
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-"+fragmentScriptHash+"'; connect-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, fragmentPage)
	case l.implicit && r.Method == http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		l.finish(w, func() callbackResult {
			tok, err := client.ParseImplicitRedirect(l.RedirectURL()+"#"+trimHash(string(body)), l.state)
			return callbackResult{tok: tok, err: err}
		})
	case r.Method == http.MethodGet:
		// Code flow, or an implicit-flow error some servers send in the query.
		l.finish(w, func() callbackResult {
			u := l.RedirectURL() + "?" + r.URL.RawQuery
			if l.implicit {
				_, err := client.ParseCallback(u, l.state)
				if err == nil {
					err = errors.New("the server sent an authorization code, not a token (is the grant implicit?)")
				}
				return callbackResult{err: err}
			}
			code, err := client.ParseCallback(u, l.state)
			return callbackResult{code: code, err: err}
		})
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// accepted reports whether a callback was already accepted.
func (l *Loopback) accepted() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done
}

// finish accepts the first callback with the right state: it parses it
// with parse, answers the browser, and delivers the result to Wait. A
// callback with the wrong state is refused and the listener keeps waiting;
// every callback after the accepted one gets 410.
func (l *Loopback) finish(w http.ResponseWriter, parse func() callbackResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		page(w, http.StatusGone, false, "This sign-in is already complete. You can close this window.")
		return
	}
	res := parse()
	if errors.Is(res.err, client.ErrStateMismatch) {
		page(w, http.StatusBadRequest, false, "tokenward refused this sign-in: the state parameter does not match (a stale or forged redirect). tokenward keeps waiting for the right one.")
		return
	}
	l.done = true
	if res.err != nil {
		page(w, http.StatusBadRequest, false, "tokenward could not complete the sign-in: "+trimPrefix(res.err.Error()))
	} else {
		page(w, http.StatusOK, true, "You are signed in. You can close this window and return to the terminal.")
	}
	l.result <- res
}

// trimHash drops a leading "#" from a posted location.hash.
func trimHash(s string) string {
	if len(s) > 0 && s[0] == '#' {
		return s[1:]
	}
	return s
}

// resultTemplate is the page shown after the callback.
var resultTemplate = template.Must(template.New("result").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>tokenward: {{if .OK}}signed in{{else}}sign-in failed{{end}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}h1{color:{{if .OK}}#1a7f37{{else}}#cf222e{{end}}}</style></head>
<body>
<h1 id="result">{{if .OK}}Signed in{{else}}Sign-in failed{{end}}</h1>
<p id="message">{{.Message}}</p>
</body>
</html>
`))

// page writes the result page.
func page(w http.ResponseWriter, status int, ok bool, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	resultTemplate.Execute(w, struct {
		OK      bool
		Message string
	}{ok, msg})
}
