package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/tokensource"
)

// Cookie names and lifetimes.
const (
	sessionCookie = "webapp_session"
	loginCookie   = "webapp_login"
	loginLifetime = 10 * time.Minute
	sessionIdle   = 8 * time.Hour
	maxAPIBody    = 64 << 10
)

// App is the web app: sign-in with the authorization code flow and PKCE,
// a page that calls an API as the signed-in user, and sign-out.
type App struct {
	conf     *client.Config     // RedirectURL is this app's /callback
	users    *client.UserTokens // every signed-in user's tokens
	apiURL   string             // the API called as the user
	userInfo string             // answers who a fresh access token is for
	sessions *sessions          // session ID → user ID
	logins   *sessions          // login ID → pending sign-in
	log      *slog.Logger
	secure   bool // cookies are Secure (the app is served over https)
}

// pending is a sign-in under way: the state and PKCE verifier sent with
// the authorization request.
type pending struct {
	state, verifier string
}

// Handler returns the app's routes.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /signin", a.signIn)
	mux.HandleFunc("GET /callback", a.callback)
	mux.HandleFunc("GET /profile", a.profile)
	mux.HandleFunc("POST /signout", a.signOut)
	return mux
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>tokenward webapp</title></head><body>
{{if .User}}<p>Signed in as <strong id="user">{{.User}}</strong>.</p>
<p><a id="profile" href="/profile">Call the API as me</a></p>
{{if .API}}<h2>The API answered</h2><pre id="api">{{.API}}</pre>{{end}}
<form method="post" action="/signout"><button id="signout" type="submit">Sign out</button></form>
{{else}}<p id="anonymous">You are not signed in.</p>
<p><a id="signin" href="/signin">Sign in</a></p>{{end}}
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
</body></html>
`))

type pageData struct {
	User, API, Error string
}

func (a *App) render(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'")
	w.WriteHeader(status)
	if err := page.Execute(w, d); err != nil {
		a.log.Warn("webapp: rendering the page", "err", err)
	}
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	user, _ := a.currentUser(r)
	a.render(w, http.StatusOK, pageData{User: user})
}

// signIn starts the authorization code flow: a fresh state and PKCE
// verifier, kept server-side under a short-lived cookie.
func (a *App) signIn(w http.ResponseWriter, r *http.Request) {
	p := pending{state: randomID(), verifier: oauth2.GenerateVerifier()}
	id := a.logins.add(p, loginLifetime)
	a.setCookie(w, loginCookie, id, loginLifetime)
	http.Redirect(w, r, a.conf.AuthCodeURL(p.state, client.S256Challenge(p.verifier)), http.StatusFound)
}

// callback finishes the sign-in: checks the state, exchanges the code
// with the verifier, asks the server who the token is for, saves the
// token for that user and starts a session.
func (a *App) callback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	if err != nil {
		a.render(w, http.StatusBadRequest, pageData{Error: "No sign-in in progress: start again."})
		return
	}
	v, ok := a.logins.take(c.Value)
	a.clearCookie(w, loginCookie)
	if !ok {
		a.render(w, http.StatusBadRequest, pageData{Error: "The sign-in expired: start again."})
		return
	}
	p := v.(pending)
	code, err := client.ParseCallback(a.conf.RedirectURL+"?"+r.URL.RawQuery, p.state)
	if err != nil {
		a.render(w, http.StatusBadRequest, pageData{Error: "Sign-in failed: " + err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	tok, err := a.conf.Exchange(ctx, code, client.Verifier(p.verifier))
	if err != nil {
		a.log.Warn("webapp: code exchange failed", "err", err)
		a.render(w, http.StatusBadGateway, pageData{Error: "Sign-in failed at the authorization server."})
		return
	}
	user, err := a.subject(ctx, tok)
	if err != nil {
		a.log.Warn("webapp: asking who signed in", "err", err)
		a.render(w, http.StatusBadGateway, pageData{Error: "Sign-in failed: cannot tell who signed in."})
		return
	}
	if err := a.users.Save(ctx, user, tok); err != nil {
		a.log.Error("webapp: saving the user's token", "err", err)
		a.render(w, http.StatusServiceUnavailable, pageData{Error: "Sign-in failed: the token store is unavailable."})
		return
	}
	a.setCookie(w, sessionCookie, a.sessions.add(user, sessionIdle), sessionIdle)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// subject asks the server who tok is for: the stable identity the user's
// tokens are kept under (never taken from the token itself).
func (a *App) subject(ctx context.Context, tok *oauth2.Token) (string, error) {
	var info struct {
		Sub string `json:"sub"`
	}
	body, err := get(ctx, tokensource.NewClient(tokensource.FromOAuth2(oauth2.StaticTokenSource(tok))), a.userInfo)
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(body, &info); err != nil || info.Sub == "" {
		return "", errors.New("webapp: no subject in the user info")
	}
	return info.Sub, nil
}

// profile calls the API as the signed-in user.
func (a *App) profile(w http.ResponseWriter, r *http.Request) {
	user, ok := a.currentUser(r)
	if !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	body, err := get(ctx, a.users.Client(user), a.apiURL)
	switch {
	case errors.Is(err, client.ErrNoUserToken):
		// Signed out elsewhere, or the grant was revoked: sign in again.
		a.endSession(w, r)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	case err != nil:
		a.log.Warn("webapp: calling the API", "err", err)
		a.render(w, http.StatusBadGateway, pageData{User: user, Error: "The API cannot be reached right now; try again."})
		return
	}
	var pretty json.RawMessage = body
	out, err := json.MarshalIndent(pretty, "", "  ")
	if err != nil {
		out = []byte("(not JSON)")
	}
	a.render(w, http.StatusOK, pageData{User: user, API: string(out)})
}

// signOut revokes and deletes the user's tokens and ends the session.
// The form is same-origin only: the session cookie is SameSite=Lax, and
// a cross-site Origin is refused.
func (a *App) signOut(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && o != "null" && !sameOrigin(o, r) {
		a.render(w, http.StatusForbidden, pageData{Error: "Cross-site sign-out refused."})
		return
	}
	if user, ok := a.currentUser(r); ok {
		if err := a.users.Delete(r.Context(), user); err != nil {
			a.log.Warn("webapp: sign-out", "err", err)
		}
	}
	a.endSession(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

func (a *App) currentUser(r *http.Request) (string, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", false
	}
	v, ok := a.sessions.get(c.Value)
	if !ok {
		return "", false
	}
	return v.(string), true
}

func (a *App) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.sessions.take(c.Value)
	}
	a.clearCookie(w, sessionCookie)
}

func (a *App) setCookie(w http.ResponseWriter, name, value string, life time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(life / time.Second),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (a *App) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
}

// get fetches u with hc and returns the body of a 200 answer, at most
// maxAPIBody bytes.
func get(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("webapp: %s answered %s", u, resp.Status)
	}
	return body, nil
}

// randomID returns 128 random bits as text.
func randomID() string {
	return rand.Text()
}
