package client_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// hygiene collects everything a program may print or log while using the
// SDK, and the secrets that must appear in none of it.
type hygiene struct {
	t       *testing.T
	secrets []string
	names   []string // not secret, but never in cache keys or file names
	errs    []error
	values  map[string]any // printed with %v %+v %#v %s and slog.Any
	keys    []string
	logs    *testlog.Buffer
	log     func(msg string, args ...any)
	opts    func() *tokensource.Options
}

func newHygiene(t *testing.T) *hygiene {
	logger, logs := testlog.New()
	h := &hygiene{t: t, logs: logs, values: map[string]any{}, log: logger.Info}
	h.opts = func() *tokensource.Options { return &tokensource.Options{Logger: logger} }
	h.secret(faultSecrets...)
	return h
}

func (h *hygiene) secret(s ...string) { h.secrets = append(h.secrets, s...) }

// token records the credentials in tok as secrets.
func (h *hygiene) token(tok *oauth2.Token) {
	if tok == nil {
		return
	}
	h.secret(tok.AccessToken, tok.RefreshToken)
	if idt, ok := tok.Extra("id_token").(string); ok {
		h.secret(idt)
	}
}

// err records err, which must not be nil.
func (h *hygiene) err(what string, err error) {
	h.t.Helper()
	if err == nil {
		h.t.Errorf("%s: got no error; want one", what)
		return
	}
	h.errs = append(h.errs, err)
}

// must returns v, or panics on err; hygiene.run reports the panic as a
// failure.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// run calls f, failing on a panic: none is expected, and its message
// would be checked for secrets too.
func (h *hygiene) run(name string, f func()) {
	h.t.Helper()
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprint(r)
			h.t.Errorf("%s panicked: %s", name, msg)
			h.scan("panic in "+name, msg)
		}
	}()
	f()
}

func (h *hygiene) scan(what, text string) {
	h.t.Helper()
	testlog.NoSecrets(h.t, what, text, h.secrets...)
}

// check scans everything collected.
func (h *hygiene) check() {
	h.t.Helper()
	for _, err := range h.errs {
		for _, text := range errTexts(err) {
			h.scan(fmt.Sprintf("error %T", err), text)
		}
		h.log("error", "err", err)
	}
	for name, v := range h.values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			h.scan(name+" "+verb, fmt.Sprintf(verb, v))
		}
		h.log("value", "v", v, "any", slog_any(v))
	}
	for _, k := range h.keys {
		h.scan("cache key", k)
		for _, n := range h.names {
			if strings.Contains(k, n) {
				h.t.Errorf("cache key %q holds %q", k, n)
			}
		}
	}
	for _, line := range strings.Split(h.logs.String(), "\n") {
		h.scan("log line", line)
	}
	if h.logs.String() == "" {
		h.t.Error("nothing was logged; the log scan proves nothing")
	}
}

func slog_any(v any) any { return v } // slog.Any(key, v) is what logger.Info("…", key, v) does

// TestSecretHygiene runs every grant and every error path that the fake
// server can trigger with known secrets, and fails if any secret appears
// in an error (Error, %v, %+v, %#v, RetrieveError bodies), a log line
// (text and JSON), a panic, a cache key, a cache file name, or the fmt or
// slog output of the SDK's types that hold secrets.
//
// Not checked: *oauth2.Token, x/oauth2's type, prints its fields by
// design; the SDK never logs or prints one (the log scan would catch it).
func TestSecretHygiene(t *testing.T) {
	h := newHygiene(t)
	ctx := context.Background()
	const wrongSecret = "cs-WRONG-0a9b8c7d6e5f4a3b"
	h.secret(wrongSecret)
	// The HTTP Basic credentials as sent (an echoing server repeats them).
	h.secret(base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(faultClientID) + ":" + url.QueryEscape(faultClientSecret))))
	h.names = []string{faultUser}

	s, conf := faultServer(t, func(c *oauth2test.Client) { c.Scopes = []string{"openid", "read", "write"} })
	conf.Scopes = []string{"openid", "read"}
	h.values["client.Config"] = *conf
	h.values["*client.Config"] = conf

	// Grants.
	h.run("client_credentials", func() {
		h.token(must(conf.ClientCredentialsToken(ctx)))
	})
	var pwTok *oauth2.Token
	h.run("password", func() {
		pwTok = must(conf.PasswordCredentialsToken(ctx, faultUser, faultPassword))
		h.token(pwTok)
	})
	h.run("authorization_code with PKCE", func() {
		state := "state-" + faultClientID
		cb := must(s.Authorize(conf.AuthCodeURL(state, client.S256Challenge(faultVerifier)), faultUser, faultPassword))
		code := must(client.ParseCallback(cb.String(), state))
		h.secret(code)
		tok := must(conf.Exchange(ctx, code, client.Verifier(faultVerifier)))
		h.token(tok)
		_, err := conf.Exchange(ctx, code, client.Verifier(faultVerifier)) // a used code
		h.err("code reuse", err)
		_, err = client.ParseCallback(cb.String(), "another-state")
		h.err("callback state mismatch", err)
		_, err = client.ParseCallback(cb.String()+"&error=access_denied&error_description=denied", state)
		h.err("callback error", err)
	})
	h.run("refresh with rotation", func() {
		tok := must(conf.Refresh(ctx, pwTok.RefreshToken))
		h.token(tok)
		_, err := conf.Refresh(ctx, pwTok.RefreshToken) // reuse: the grant is revoked
		h.err("refresh token reuse", err)
		_, err = conf.Refresh(ctx, "")
		h.err("no refresh token", err)
	})
	h.run("implicit", func() {
		state := "implicit-state"
		cb := must(s.Authorize(conf.ImplicitURL(state), faultUser, faultPassword))
		tok := must(client.ParseImplicitRedirect(cb.String(), state))
		h.token(tok)
		_, err := client.ParseImplicitRedirect(cb.String(), "wrong-state")
		h.err("implicit state mismatch", err)
		frag := strings.Replace(cb.String(), "token_type=", "token_type=mac&x=", 1)
		_, err = client.ParseImplicitRedirect(frag, state)
		h.err("implicit bad token_type", err)
	})
	h.run("device", func() {
		da := must(conf.DeviceAuth(ctx))
		h.secret(da.DeviceCode)
		if err := s.ApproveDevice(da.UserCode, faultUser); err != nil {
			t.Fatal(err)
		}
		h.token(must(conf.DeviceAccessToken(ctx, da)))
		da2 := must(conf.DeviceAuth(ctx))
		h.secret(da2.DeviceCode)
		s.DenyDevice(da2.UserCode)
		_, err := conf.DeviceAccessToken(ctx, da2)
		h.err("device denied", err)
		h.values["*oauth2.DeviceAuthResponse"] = struct{ UserCode string }{da.UserCode} // the device code itself is x/oauth2's to print
	})

	// Error paths.
	bad := *conf
	bad.ClientSecret = wrongSecret
	h.run("invalid_client", func() {
		_, err := bad.ClientCredentialsToken(ctx)
		h.err("invalid_client", err)
		_, err = bad.PasswordCredentialsToken(ctx, faultUser, faultPassword)
		h.err("invalid_client password", err)
	})
	h.run("invalid_grant password", func() {
		_, err := conf.PasswordCredentialsToken(ctx, faultUser, faultPassword+"-typo")
		h.secret(faultPassword + "-typo")
		h.err("wrong password", err)
	})
	h.run("invalid_scope", func() {
		c2 := *conf
		c2.Scopes = []string{"admin"}
		_, err := c2.ClientCredentialsToken(ctx)
		h.err("invalid_scope", err)
	})
	faults := []struct {
		name  string
		fault oauth2test.Fault
		n     int
		call  func() error
	}{
		{"HTML 500 echoing secrets", oauth2test.Fault{Status: 500, RetryAfter: "0", ContentType: "text/html",
			Body: "<html>password=" + faultPassword + " client_secret=" + faultClientSecret + "</html>"}, 4,
			func() error { _, err := conf.PasswordCredentialsToken(ctx, faultUser, faultPassword); return err }},
		{"error in a 200 echoing the password", oauth2test.Fault{Status: 200, Error: "invalid_request", Description: "password " + faultPassword + " rejected"}, 1,
			func() error { _, err := conf.PasswordCredentialsToken(ctx, faultUser, faultPassword); return err }},
		{"error_uri echoing the verifier", oauth2test.Fault{Status: 400, ContentType: "application/json",
			Body: `{"error":"invalid_grant","error_uri":"https://x/?v=` + faultVerifier + `"}`}, 1,
			func() error { _, err := conf.Exchange(ctx, faultCode, client.Verifier(faultVerifier)); return err }},
		{"truncated token response", oauth2test.Fault{Status: 200, ContentType: "application/json", Body: tokenJSON[:len(tokenJSON)-9]}, 1,
			func() error { _, err := conf.ClientCredentialsToken(ctx); return err }},
		{"form token response with a bad token_type", oauth2test.Fault{Status: 200, ContentType: "application/x-www-form-urlencoded",
			Body: "access_token=" + faultAccess + "&refresh_token=" + faultRefresh + "&token_type=" + faultAccess}, 1,
			func() error { _, err := conf.ClientCredentialsToken(ctx); return err }},
		{"connection dropped", oauth2test.Fault{CloseConnection: true}, 1,
			func() error { _, err := conf.Refresh(ctx, faultRefresh); return err }},
		{"429 for an hour", oauth2test.Fault{Status: 429, RetryAfter: "3600", Error: "slow_down", Description: "code " + faultCode}, 1,
			func() error { _, err := conf.Exchange(ctx, faultCode); return err }},
	}
	for _, f := range faults {
		h.run(f.name, func() {
			for range f.n {
				s.QueueFault(f.fault)
			}
			h.err(f.name, f.call())
		})
	}

	// A server that echoes everything it receives, Authorization header
	// included, in its error, for every grant and both auth styles.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		desc := string(body) + " auth=" + r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": desc})
	}))
	t.Cleanup(echo.Close)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		for _, format := range []client.BodyFormat{client.FormBody, client.JSONBody} {
			ec := &client.Config{ClientID: faultClientID, ClientSecret: faultClientSecret, BodyFormat: format,
				Endpoint: oauth2.Endpoint{TokenURL: echo.URL, DeviceAuthURL: echo.URL, AuthStyle: style}}
			name := fmt.Sprintf("echo %v %v", style, format)
			h.run(name, func() {
				_, err := ec.ClientCredentialsToken(ctx)
				h.err(name+" client_credentials", err)
				_, err = ec.PasswordCredentialsToken(ctx, faultUser, faultPassword)
				h.err(name+" password", err)
				_, err = ec.Exchange(ctx, faultCode, client.Verifier(faultVerifier))
				h.err(name+" exchange", err)
				_, err = ec.Refresh(ctx, faultRefresh)
				h.err(name+" refresh", err)
				_, err = ec.DeviceAuth(ctx)
				h.err(name+" device authorization", err)
			})
		}
	}

	// Sources, with logging at debug level, caches, failures and
	// invalidation.
	dir := filepath.Join(t.TempDir(), "tokens") // NewFile wants 0700; TempDir is 0755
	file := must(cache.NewFile(dir))
	mem := &cache.Memory{}
	sealKey := []byte("k-SEAL-0123456789abcdef01234567")
	sealKey = append(sealKey, '!')
	h.secret(string(sealKey))
	sealed := must(cache.NewSealed(mem, sealKey))
	h.values["*cache.Memory"] = mem
	h.values["*cache.File"] = file
	h.values["*cache.Sealed"] = sealed

	h.run("sources", func() {
		o := h.opts()
		o.Cache = file
		cc := conf.ClientCredentialsSource(o)
		h.token(must(cc.TokenContext(ctx)))
		h.keys = append(h.keys, cc.Key())
		h.values["tokensource.Options"] = *o
		h.values["*tokensource.Options"] = o

		o = h.opts()
		o.Cache = mem
		pw := conf.PasswordSource(faultUser, faultPassword, o)
		tok := must(pw.TokenContext(ctx))
		h.token(tok)
		h.keys = append(h.keys, pw.Key())
		pw.Invalidate(tok) // the source now remembers the rejected token
		h.token(must(pw.TokenContext(ctx)))
		h.values["*tokensource.Cached (password)"] = pw

		o = h.opts()
		o.Cache = sealed
		o.CacheKey = "sealed-" + pw.Key()
		seed := must(conf.PasswordCredentialsToken(ctx, faultUser, faultPassword))
		h.token(seed)
		ts := conf.TokenSource(seed, o)
		h.token(must(ts.TokenContext(ctx)))
		h.keys = append(h.keys, ts.Key())
		ts.Invalidate(nil)
		s.QueueFault(oauth2test.Fault{Process: true, CloseConnection: true}) // lost rotation: logged
		_, err := ts.TokenContext(ctx)
		h.err("token source lost rotation", err)
		_, err = ts.TokenContext(ctx)
		h.err("token source backing off", err)
		h.values["*tokensource.Cached (refresh)"] = ts

		// A corrupt file entry: a logged miss.
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			h.keys = append(h.keys, e.Name())
			os.WriteFile(filepath.Join(dir, e.Name()), []byte("{\"v\":1}\n{\"v\":1,\"access_token\":"), 0o600)
		}
		o = h.opts()
		o.Cache = file
		cc2 := conf.ClientCredentialsSource(o)
		h.token(must(cc2.TokenContext(ctx)))

		// A source with no refresh token, and a failing cache.
		o = h.opts()
		o.Cache = failingCache{}
		o.CacheKey = "k"
		nr := conf.TokenSource(&oauth2.Token{AccessToken: faultAccess, Expiry: time.Now().Add(-time.Hour)}, o)
		_, err = nr.TokenContext(ctx)
		h.err("no refresh token", err)
	})
	if len(h.keys) < 4 {
		t.Errorf("only %d cache keys and file names checked", len(h.keys))
	}
	h.check()
	if t.Failed() {
		return
	}
	t.Logf("checked %d secrets against %d errors, %d values, %d keys and %d bytes of logs",
		len(h.secrets), len(h.errs), len(h.values), len(h.keys), len(h.logs.String()))
}

// failingCache fails every call, with an error that names the key.
type failingCache struct{}

func (failingCache) Load(ctx context.Context, key string) ([]byte, error) {
	return nil, errors.New("cache down for " + key)
}

func (failingCache) Save(ctx context.Context, key string, data []byte, expiry time.Time) error {
	return errors.New("cache down")
}

func (failingCache) Delete(ctx context.Context, key string) error { return nil }
