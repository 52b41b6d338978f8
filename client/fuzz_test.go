package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tokenward/tokenward/internal/testlog"
	"golang.org/x/oauth2"
)

// Fuzz targets for everything in this package that parses what a server
// or a browser sends. Seed corpora live in testdata/fuzz/<FuzzName>/ and
// run as part of go test; run a target with, for example,
//
//	go test -run '^$' -fuzz '^FuzzParseToken$' -fuzztime 2m ./client/

// fuzzSecret is the client secret the fuzzed requests were made with.
const fuzzSecret = "qfuzzClientSecret0123456789z"

// secretLooking reports whether s is worth checking for leaks: long, with
// a letter and a digit, no space or punctuation that error templates use,
// and not part of ctx (text the server sent in a header, such as the
// Content-Type, that an error may quote legitimately).
func secretLooking(s string, ctx ...string) bool {
	if len(s) < 12 || len(s) > 4096 || !utf8.ValidString(s) {
		return false
	}
	var letter, digit bool
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			letter = true
		case '0' <= r && r <= '9':
			digit = true
		case r == '-' || r == '_' || r == '.' || r == '~':
		default:
			return false
		}
	}
	if !letter || !digit || strings.Contains(redacted, s) {
		return false
	}
	// %q and JSON escapes (\x10, \u00e9, \n) produce hex digits and the
	// letters abfnrtvxuU: a secret that starts and ends with none of them
	// cannot be forged by an escape sequence next to it.
	const plain = "ghijklmopqswyzGHIJKLMNOPQRSTVWXYZ"
	if !strings.ContainsRune(plain, rune(s[0])) || !strings.ContainsRune(plain, rune(s[len(s)-1])) {
		return false
	}
	for _, c := range ctx {
		if strings.Contains(c, s) {
			return false
		}
	}
	return true
}

// errorTexts is every rendering of err a caller may print or log.
func errorTexts(err error) []string {
	texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err)}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		texts = append(texts, re.Error(), string(re.Body), re.ErrorCode, re.ErrorDescription, re.ErrorURI)
	}
	var rerr *ResponseError
	if errors.As(err, &rerr) {
		texts = append(texts, rerr.Excerpt, rerr.Reason)
	}
	return texts
}

func checkNoLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, text := range errorTexts(err) {
		if s, _, ok := testlog.Leak(text, secrets...); ok {
			t.Fatalf("secret %q leaked in error text %q", s, text)
		}
	}
}

// tokenValues returns the secret-looking values of access_token,
// refresh_token and id_token anywhere in body: JSON members (even in a
// truncated body) and form parameters.
func tokenValues(body []byte, ctx ...string) []string {
	var out []string
	add := func(v string) {
		if secretLooking(v, ctx...) {
			out = append(out, v)
		}
	}
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		for _, k := range []string{"access_token", "refresh_token", "id_token"} {
			if s, ok := m[k].(string); ok {
				add(s)
			}
		}
	}
	if q, err := url.ParseQuery(string(body)); err == nil {
		for _, k := range []string{"access_token", "refresh_token", "id_token"} {
			for _, v := range q[k] {
				add(v)
			}
		}
	}
	// A body cut short: "access_token":"<value up to the end or a quote>.
	s := string(body)
	for _, k := range []string{`"access_token"`, `"refresh_token"`, `"id_token"`} {
		for i := strings.Index(s, k); i >= 0; {
			rest := strings.TrimLeft(s[i+len(k):], " \t\r\n")
			if strings.HasPrefix(rest, ":") {
				rest = strings.TrimLeft(rest[1:], " \t\r\n")
				if strings.HasPrefix(rest, `"`) {
					v := rest[1:]
					if j := strings.IndexAny(v, `"\`); j >= 0 {
						v = v[:j]
					}
					add(v)
				}
			}
			j := strings.Index(s[i+1:], k)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return out
}

func fuzzResponse(status int, contentType string) *http.Response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &http.Response{StatusCode: status, Header: h}
}

// FuzzParseToken fuzzes the token response parser with the status code,
// Content-Type and body of the response.
//
// Properties: a token has a non-empty access token, a Bearer (or empty)
// type, no negative ExpiresIn and an expiry that is zero or not in the
// past; an error is an *oauth2.RetrieveError (error field or non-2xx) or
// a *ResponseError (anything else on a 2xx); no error rendering holds the
// client secret, a request secret or a token from the body.
func FuzzParseToken(f *testing.F) {
	seeds := []struct {
		status int
		ct     string
		body   string
	}{
		{200, "application/json", `{"access_token":"AT","token_type":"Bearer","expires_in":3600}`},
		{200, "application/json", `{"access_token":"AT","token_type":"bearer","expires_in":"3599","refresh_token":"RT","scope":"a b"}`},
		{200, "application/json", `{"access_token":"AT","expires_in":3600.5,"id_token":"x.y.z"}`},
		{200, "text/plain", `access_token=AT&token_type=bearer&expires_in=60`},
		{200, "application/x-www-form-urlencoded", `access_token=qtokenValue0123456789z&refresh_token=qrefreshValue0123456789z`},
		{200, "application/json", `{"access_token":"eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.sig"}`},
		{200, "application/json", `{"access_token":"eyJhbGciOiJub25lIn0.eyJleHAiOjEwMDAwMDAwMDB9.sig"}`},
		{200, "application/json", `{"access_token":"qaccessValue0123456789z","tok`},
		{200, "application/json", `{"access_token":"qaccessValue0123456789z","token_type":"mac"}`},
		{200, "application/json", `{"error":"invalid_grant","access_token":"qaccessValue0123456789z"}`},
		{400, "application/json", `{"error":"invalid_client","error_description":"secret qfuzzClientSecret0123456789z is wrong"}`},
		{500, "text/html", `<html>oops</html>`},
		{302, "", `moved`},
		{200, "application/json", `{"access_token":"AT","expires_in":-1}`},
		{200, "application/json", `{"access_token":"AT","expires_in":1e300}`},
		{200, "application/json", `{"access_token":"AT","expires_in":0.0000001}`},
		{200, "application/json", ``},
	}
	for _, s := range seeds {
		f.Add(s.status, s.ct, []byte(s.body), "requestSecret0123456789z")
	}
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte, reqSecret string) {
		if status < 100 || status > 999 {
			status = 200 + (status%800+800)%800
		}
		resp := fuzzResponse(status, contentType)
		red := redactor{fuzzSecret}
		secrets := []string{fuzzSecret}
		if secretLooking(reqSecret, contentType) {
			red = append(red, reqSecret)
			secrets = append(secrets, reqSecret)
		}
		now := time.Now()
		tok, err := parseToken(resp, body, red, now, 0)
		if err != nil {
			if tok != nil {
				t.Fatal("token and error")
			}
			var re *oauth2.RetrieveError
			var rerr *ResponseError
			switch {
			case errors.As(err, &re):
				if len(re.ErrorCode) > 64+len("…") || len(re.ErrorDescription) > 512+len("…") {
					t.Fatalf("error fields not truncated: %q", re.ErrorCode)
				}
			case errors.As(err, &rerr):
				if status < 200 || status > 299 {
					t.Fatalf("non-2xx status %d gave %v; want a RetrieveError", status, err)
				}
			default:
				t.Fatalf("untyped error %T %v", err, err)
			}
			if !hasPackagePrefix(err) || len(err.Error()) > 2000 {
				t.Fatalf("error message %q", err)
			}
			checkNoLeak(t, err, append(secrets, tokenValues(body, contentType)...)...)
			return
		}
		if status < 200 || status > 299 {
			t.Fatalf("status %d gave a token", status)
		}
		if tok.AccessToken == "" {
			t.Fatal("empty access token")
		}
		if tok.Type() != "Bearer" {
			t.Fatalf("token type %q", tok.TokenType)
		}
		if tok.ExpiresIn < 0 {
			t.Fatalf("negative ExpiresIn %d", tok.ExpiresIn)
		}
		if !tok.Expiry.IsZero() && tok.Expiry.Before(now) {
			t.Fatalf("expiry %v is before the response arrived (%v)", tok.Expiry, now)
		}
	})
}

// FuzzRetrieveError fuzzes the RFC 6749 §5.2 error path: errorCode (which
// drives auth-style fallback) and the typed error built from an error
// body, with secrets the request carried that the server may echo.
//
// Properties: errorCode agrees with the parser; an error body gives an
// *oauth2.RetrieveError whose code and description are bounded and whose
// every rendering is free of the secrets; Error() names the status.
func FuzzRetrieveError(f *testing.F) {
	f.Add(400, "application/json", []byte(`{"error":"invalid_grant","error_description":"refresh token qrefreshValue0123456789z reused"}`), "qrefreshValue0123456789z")
	f.Add(401, "application/json", []byte(`{"error":"invalid_client"}`), "")
	f.Add(400, "application/x-www-form-urlencoded", []byte(`error=invalid_scope&error_description=nope&error_uri=https%3A%2F%2Fx`), "")
	f.Add(200, "application/json", []byte(`{"error":"slow_down"}`), "")
	f.Add(503, "text/html", []byte(`<html>down; code qcodeValue0123456789z</html>`), "qcodeValue0123456789z")
	f.Add(400, "application/json", []byte(`{"error":5}`), "")
	f.Add(400, "application/json", []byte(`{"error":"x","error_description":"qcodeValue%200123456789z"}`), "qcodeValue 0123456789z")
	f.Add(429, "", []byte(`error=temporarily_unavailable&access_token=qaccessValue0123456789z`), "")
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte, reqSecret string) {
		if status < 100 || status > 999 {
			status = 400 + (status%600+600)%600
		}
		resp := fuzzResponse(status, contentType)
		fields, _ := decodeFields(resp, body)
		fieldCode, _ := fields["error"].(string)
		red := redactor{fuzzSecret}
		secrets := []string{fuzzSecret}
		if secretLooking(reqSecret, contentType) {
			red = append(red, reqSecret)
			secrets = append(secrets, reqSecret)
		}
		_, err := parseToken(resp, body, red, time.Now(), 0)
		if fieldCode != "" || status < 200 || status > 299 {
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) {
				t.Fatalf("got %T %v; want *oauth2.RetrieveError", err, err)
			}
			if re.Response == nil || re.Response.StatusCode != status {
				t.Fatalf("RetrieveError without the response status %d", status)
			}
			if len(re.ErrorCode) > 64+len("…") || len(re.ErrorDescription) > 512+len("…") || len(re.ErrorURI) > 512+len("…") {
				t.Fatal("error fields not truncated")
			}
			if want := truncate(red.String(fieldCode), 64); fieldCode != "" && re.ErrorCode != want {
				t.Fatalf("ErrorCode %q; want %q", re.ErrorCode, want)
			}
		}
		if err != nil {
			checkNoLeak(t, err, append(secrets, tokenValues(body, contentType)...)...)
		}
	})
}

// redirectSecrets returns the secret-looking values of params in q that
// the server's own error text (error, error_description, error_uri) does
// not repeat.
func redirectSecrets(q url.Values, params ...string) []string {
	serverText := q.Get("error") + " " + q.Get("error_description") + " " + q.Get("error_uri")
	var out []string
	for _, p := range params {
		for _, v := range q[p] {
			if secretLooking(v, serverText) {
				out = append(out, v)
			}
		}
	}
	return out
}

// FuzzParseImplicitRedirect fuzzes the implicit grant redirect parser.
//
// Properties: a token comes only with a matching non-empty state; it has a
// non-empty access token, no refresh token, a Bearer type and an expiry
// that is zero or not in the past; Extra never repeats the access token
// or the state; errors never hold the access token or refresh token.
func FuzzParseImplicitRedirect(f *testing.F) {
	f.Add("https://app.example/cb#access_token=qaccessValue0123456789z&token_type=bearer&expires_in=3600&state=xyz&scope=read", "xyz")
	f.Add("https://app.example/cb#access_token=qaccessValue0123456789z&state=abc", "xyz")
	f.Add("https://app.example/cb#error=access_denied&error_description=no&state=xyz", "xyz")
	f.Add("https://app.example/cb#access_token=qaccessValue0123456789z&token_type=mac&state=xyz", "xyz")
	f.Add("https://app.example/cb#access_token=qaccessValue0123456789z&expires_in=-3&state=xyz", "xyz")
	f.Add("https://app.example/cb?access_token=eyJhbGciOiJub25lIn0.eyJleHAiOjEwMDAwMDAwMDB9.sig&state=s", "s")
	f.Add("https://app.example/cb#access_token=%zz&state=xyz", "xyz")
	f.Add("://", "xyz")
	f.Add("https://app.example/cb#access_token=a&refresh_token=qrefreshValue0123456789z&state=s&state=t", "s")
	f.Fuzz(func(t *testing.T, redirectURL, wantState string) {
		now := time.Now()
		tok, err := ParseImplicitRedirect(redirectURL, wantState)
		var q url.Values
		if u, perr := url.Parse(redirectURL); perr == nil {
			frag := u.Fragment
			if frag == "" {
				frag = u.RawQuery
			}
			q, _ = url.ParseQuery(frag)
		}
		if err != nil {
			if tok != nil {
				t.Fatal("token and error")
			}
			if !hasPackagePrefix(err) {
				t.Fatalf("error %q", err)
			}
			checkNoLeak(t, err, redirectSecrets(q, "access_token", "refresh_token")...)
			return
		}
		if wantState == "" || q.Get("state") != wantState {
			t.Fatalf("token accepted with state %q; want %q", q.Get("state"), wantState)
		}
		if tok.AccessToken == "" || tok.RefreshToken != "" || tok.Type() != "Bearer" {
			t.Fatalf("bad token %q/%q/%q", tok.AccessToken, tok.RefreshToken, tok.TokenType)
		}
		if tok.ExpiresIn < 0 || !tok.Expiry.IsZero() && tok.Expiry.Before(now) {
			t.Fatalf("expiry %v (expires_in %d) is in the past", tok.Expiry, tok.ExpiresIn)
		}
		for _, k := range []string{"access_token", "refresh_token", "state"} {
			if tok.Extra(k) != nil {
				t.Fatalf("Extra(%q) is set", k)
			}
		}
	})
}

// FuzzParseCallback fuzzes the authorization code redirect parser.
//
// Properties: a code comes only with a matching non-empty state and is
// the redirect's code parameter; errors never hold the code.
func FuzzParseCallback(f *testing.F) {
	f.Add("http://127.0.0.1:5000/callback?code=qcodeValue0123456789z&state=s1&iss=x", "s1")
	f.Add("http://127.0.0.1/cb?code=qcodeValue0123456789z&state=s2", "s1")
	f.Add("http://127.0.0.1/cb?error=access_denied&state=s1&code=qcodeValue0123456789z", "s1")
	f.Add("http://127.0.0.1/cb?state=s1", "s1")
	f.Add("http://127.0.0.1/cb?code=a;b&state=s1", "s1")
	f.Add("%", "")
	f.Fuzz(func(t *testing.T, callbackURL, wantState string) {
		code, err := ParseCallback(callbackURL, wantState)
		var q url.Values
		if u, perr := url.Parse(callbackURL); perr == nil {
			q = u.Query()
		}
		if err != nil {
			if code != "" {
				t.Fatal("code and error")
			}
			if !hasPackagePrefix(err) {
				t.Fatalf("error %q", err)
			}
			checkNoLeak(t, err, redirectSecrets(q, "code")...)
			return
		}
		if wantState == "" || q.Get("state") != wantState {
			t.Fatalf("code accepted with state %q; want %q", q.Get("state"), wantState)
		}
		if code == "" || code != q.Get("code") {
			t.Fatalf("code %q; want %q", code, q.Get("code"))
		}
	})
}

// parseToken classifies a response and decodes its token, as the
// pipeline does after reading the body.
func parseToken(resp *http.Response, body []byte, red redactor, now time.Time, defaultLife time.Duration) (*oauth2.Token, error) {
	a, err := classify(resp, body, red)
	if err != nil {
		return nil, err
	}
	return tokenFrom(a, now, defaultLife, (&Config{}).checkTokenType)
}

// hasPackagePrefix reports whether err's message starts with its
// package's name: "oauth2: " for an *oauth2.RetrieveError (returned as
// is), "client: " for the rest.
func hasPackagePrefix(err error) bool {
	if _, ok := err.(*oauth2.RetrieveError); ok {
		return strings.HasPrefix(err.Error(), "oauth2: ")
	}
	return strings.HasPrefix(err.Error(), "client: ")
}
