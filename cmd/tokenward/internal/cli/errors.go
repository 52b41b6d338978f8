package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache/keychain"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/tokensource"
)

// Exit codes of the tokenward command. They are part of its interface:
// scripts may branch on them, and `tokenward --help` lists them.
const (
	ExitOK          = 0   // success
	ExitGeneric     = 1   // any other failure
	ExitUsage       = 2   // bad command line
	ExitConfig      = 3   // bad or missing configuration or profile
	ExitAuth        = 4   // the authorization server refused, or the login did not complete
	ExitNetwork     = 5   // the server could not be reached
	ExitKeychain    = 6   // the OS keychain is unavailable
	ExitHTTP        = 22  // curl --fail: the server answered with an HTTP error status
	ExitInterrupted = 130 // interrupted (Ctrl-C)
)

// exitCodesHelp documents the exit codes for --help.
const exitCodesHelp = `Exit codes:
  0    success
  1    generic failure
  2    usage error (unknown command or flag, bad argument)
  3    configuration or profile error (missing profile, bad config file)
  4    authorization failed (the server refused, not logged in, login timed out)
  5    network error (the server could not be reached)
  6    OS keychain unavailable
  22   curl --fail: the server answered 400 or more
  130  interrupted`

// Error is a failure that the command reports as one line:
//
//	tokenward: profile "acme": invalid_client: check the client secret with 'tokenward profile show acme'
//
// Profile names the profile involved (may be empty), What says what went
// wrong, Hint what to do about it (may be empty), and Code is the process
// exit code.
type Error struct {
	Code    int
	Profile string
	What    string
	Hint    string
	Err     error // the underlying error, for errors.Is/As; may be nil
}

// Error returns the line printed for e, without the "tokenward: " prefix.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Profile != "" {
		fmt.Fprintf(&b, "profile %q: ", e.Profile)
	}
	b.WriteString(e.What)
	if e.Hint != "" {
		b.WriteString(": " + e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// usageError returns an Error with ExitUsage.
func usageError(format string, args ...any) *Error {
	return &Error{Code: ExitUsage, What: fmt.Sprintf(format, args...), Hint: "see 'tokenward --help'"}
}

// configError returns an Error with ExitConfig for a profile.
func configError(profile, what, hint string) *Error {
	return &Error{Code: ExitConfig, Profile: profile, What: what, Hint: hint}
}

// errNotLoggedIn is returned by a user-grant source that has no token and
// no refresh token to renew it with.
var errNotLoggedIn = errors.New("not logged in")

// errLoginTimeout is returned when the browser never came back in time.
var errLoginTimeout = errors.New("timed out waiting for the browser to come back")

// errInterrupted is the cause of the command context's cancellation on
// SIGINT or SIGTERM.
var errInterrupted = errors.New("interrupted")

// Classify turns any error into an *Error naming profile, with an exit
// code and a hint for the common failures of the library packages. An
// *Error is returned as is (with its profile filled in when empty).
func Classify(profile string, err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Profile == "" {
			c := *e
			c.Profile = profile
			return &c
		}
		return e
	}
	e = &Error{Code: ExitGeneric, Profile: profile, What: trimPrefix(err.Error()), Err: err}
	login := "run 'tokenward login" + profileFlag(profile) + "'"
	show := "check it with 'tokenward profile show" + nameArg(profile) + "'"

	var re *oauth2.RetrieveError
	var rfe *tokensource.RefreshError
	var ce *client.ConfigError
	var rse *client.ResponseError
	var te *client.TransportError
	var ae *client.AssertionError
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.Is(err, errInterrupted):
		e.Code, e.What, e.Hint = ExitInterrupted, "interrupted", ""
	case errors.Is(err, errLoginTimeout):
		e.Code, e.Hint = ExitAuth, "finish the sign-in within --timeout, or raise it"
	case errors.Is(err, errNotLoggedIn):
		e.Code, e.Hint = ExitAuth, login
	case errors.Is(err, client.ErrNoRefreshToken):
		e.Code, e.What, e.Hint = ExitAuth, "the token expired and there is no refresh token", login
	case errors.Is(err, client.ErrStateMismatch):
		e.Code, e.What, e.Hint = ExitAuth, "the browser came back with the wrong state (a stale or forged redirect)", login+" again"
	case errors.Is(err, client.ErrDeviceCodeExpired):
		e.Code, e.What, e.Hint = ExitAuth, "the device code expired before it was approved", login+" --device again"
	case errors.Is(err, keychain.ErrUnavailable):
		k := keychainError(profile, "", err)
		e.Code, e.What, e.Hint = k.Code, k.What, k.Hint
	case missingStatus(err) != 0:
		status := missingStatus(err)
		where, flag := "the endpoint", "--token-url"
		var at *atEndpoint
		if errors.As(err, &at) {
			where, flag = at.what+" "+at.url, at.flag
		}
		e.Code = ExitConfig
		e.What = fmt.Sprintf("%s answered HTTP %d %s: there is no OAuth endpoint at that URL", where, status, http.StatusText(status))
		e.Hint = "check the URL with 'tokenward profile show" + nameArg(profile) + "' and fix it with 'tokenward profile add" +
			nameArg(profile) + " --force " + flag + " URL ...' (or --issuer to discover it)"
	case errors.As(err, &rfe):
		// tokensource backs off after a failed refresh (at most 8 s while
		// callers get errors); a new tokenward process starts afresh.
		e.Code = ExitAuth
		e.What = "the token refresh failed moments ago (" + trimPrefix(Classify(profile, rfe.Err).What) + ")"
		e.Hint = "the next try is " + nextTry(rfe.RetryAt) + ", or when you run tokenward again"
	case errors.As(err, &re):
		e.Code = ExitAuth
		e.What = retrieveWhat(re)
		e.Hint = oauthHint(re.ErrorCode, profile, login, show)
	case errors.As(err, &ce):
		e.Code, e.What, e.Hint = ExitConfig, trimPrefix(ce.Error()), show
	case errors.As(err, &ae):
		// The library's message names the file or the key's problem, never
		// the key or the assertion.
		e.Code, e.What = ExitConfig, trimPrefix(ae.Error())
		e.Hint = "check the profile's --private-key or --assertion-file with 'tokenward profile show" + nameArg(profile) + "'"
	case errors.As(err, &rse):
		e.Code, e.What = ExitAuth, trimPrefix(rse.Error())
		e.Hint = "the endpoint did not answer like an OAuth server: " + show
	case errors.As(err, &te), errors.As(err, &ne), errors.As(err, &ue):
		e.Code, e.Hint = ExitNetwork, "check the network and the endpoint URLs ("+strings.TrimPrefix(show, "check it with ")+")"
	case errors.Is(err, context.DeadlineExceeded):
		e.Code, e.Hint = ExitNetwork, "the server did not answer in time"
	case errors.Is(err, context.Canceled):
		e.Code, e.What, e.Hint = ExitInterrupted, "interrupted", ""
	}
	return e
}

// atEndpoint names the endpoint a request failed at, for messages: its
// URL without query, what it is, and the profile flag that sets it.
type atEndpoint struct {
	url, what, flag string
	err             error
}

func (e *atEndpoint) Error() string { return e.err.Error() }
func (e *atEndpoint) Unwrap() error { return e.err }

// at wraps a failed request's error with its endpoint.
func at(what, flag, rawURL string, err error) error {
	var a *atEndpoint
	if err == nil || errors.As(err, &a) {
		return err
	}
	if u, perr := url.Parse(rawURL); perr == nil {
		u.RawQuery, u.Fragment, u.User = "", "", nil
		rawURL = u.String()
	}
	return &atEndpoint{url: rawURL, what: what, flag: flag, err: err}
}

// missingStatus returns the HTTP status of an answer that says the URL
// names no endpoint (404, 405, 410) without an OAuth error code, or 0.
func missingStatus(err error) int {
	status := 0
	var re *oauth2.RetrieveError
	var rse *client.ResponseError
	switch {
	case errors.As(err, &re) && re.ErrorCode == "" && re.Response != nil:
		status = re.Response.StatusCode
	case errors.As(err, &rse):
		status = rse.StatusCode
	}
	switch status {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusGone:
		return status
	}
	return 0
}

// retrieveWhat describes an OAuth error response in a few words.
func retrieveWhat(re *oauth2.RetrieveError) string {
	if re.ErrorCode == "" {
		if re.Response != nil {
			return fmt.Sprintf("the server refused the request (HTTP %d)", re.Response.StatusCode)
		}
		return "the server refused the request"
	}
	w := re.ErrorCode
	if re.ErrorDescription != "" {
		w += " (" + oneLine(re.ErrorDescription, 160) + ")"
	}
	return w
}

// oauthHint says what to do about an RFC 6749 error code.
func oauthHint(code, profile, login, show string) string {
	switch code {
	case "invalid_client", "unauthorized_client":
		return "check the client ID, client secret and auth style with 'tokenward profile show" + nameArg(profile) + "'"
	case "invalid_grant":
		return "the login expired or was revoked: " + login
	case "invalid_scope":
		return "the client may not request these scopes: " + show
	case "access_denied":
		return "the sign-in was denied: " + login + " and approve the request"
	case "expired_token":
		return "the device code expired: " + login + " --device again"
	case "unsupported_grant_type":
		return "the server does not allow this grant for the client: " + show
	case "invalid_request":
		return show
	}
	return ""
}

// profileFlag returns " -p NAME", or "" for an empty name.
func profileFlag(profile string) string {
	if profile == "" {
		return ""
	}
	return " -p " + shellQuote(profile)
}

// nameArg returns " NAME", or "" for an empty name.
func nameArg(profile string) string {
	if profile == "" {
		return ""
	}
	return " " + shellQuote(profile)
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// trimPrefix drops the "client: " style package prefixes of library errors.
func trimPrefix(s string) string {
	for _, p := range []string{"client: ", "tokensource: ", "keychain: "} {
		s = strings.TrimPrefix(s, p)
		s = strings.ReplaceAll(s, ": "+p, ": ")
	}
	return oneLine(s, 300)
}

// symbolicModeRe matches a file mode as fs.FileMode prints it
// ("-rwxrwxrwx", also for a directory's permission bits).
var symbolicModeRe = regexp.MustCompile(`\bmode [-dlLpSDcugtT?]?([-r][-w][-xsS][-r][-w][-xsS][-r][-w][-xtT])`)

// octalModes rewrites the symbolic file modes in a library's message as
// octal ("mode 0777"), which reads right for directories too.
func octalModes(s string) string {
	return symbolicModeRe.ReplaceAllStringFunc(s, func(m string) string {
		perm := symbolicModeRe.FindStringSubmatch(m)[1]
		var v fs.FileMode
		for i, c := range perm {
			if c != '-' && c != 'S' && c != 'T' {
				v |= 1 << (8 - i)
			}
		}
		return fmt.Sprintf("mode %#o", v)
	})
}

// oneLine flattens s to one line of at most max bytes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}

// nextTry says when a backed-off refresh is tried again.
func nextTry(at time.Time) string {
	if at.IsZero() {
		return "in at most 8 seconds"
	}
	secs := int(math.Ceil(time.Until(at).Seconds()))
	switch {
	case secs <= 0:
		return "now"
	case secs == 1:
		return "in 1 second"
	}
	return fmt.Sprintf("in %d seconds", secs)
}
