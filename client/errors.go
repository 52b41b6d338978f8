package client

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

var (
	// ErrInsecureURL is matched by errors for token or device endpoints
	// that are not https and not on loopback.
	ErrInsecureURL = errors.New("client: endpoint must use https")
	// ErrNoRefreshToken is returned when a token must be refreshed but
	// has no refresh token.
	ErrNoRefreshToken = errors.New("client: token has no refresh token")
	// ErrStateMismatch is returned when a redirect's state parameter is
	// missing or differs from the one sent (a possible CSRF attack).
	ErrStateMismatch = errors.New("client: state mismatch in redirect")
	// ErrDeviceCodeExpired is returned when the device code expires before
	// the user approves it.
	ErrDeviceCodeExpired = errors.New("client: device code expired")
)

// ConfigError reports a Config that cannot be used.
type ConfigError struct {
	Field  string // what is wrong, e.g. "token URL"
	Reason string
	Err    error // a sentinel such as ErrInsecureURL, or nil
}

func (e *ConfigError) Error() string {
	return "client: " + e.Field + " " + e.Reason
}

func (e *ConfigError) Unwrap() error { return e.Err }

// ResponseError reports a token endpoint answer that is neither a token
// nor an RFC 6749 error: HTML, garbage, a truncated or oversized body, a
// missing access_token, an unsupported token_type or an absurd
// expires_in. Excerpt is a short, redacted start of the body.
type ResponseError struct {
	StatusCode  int
	ContentType string
	Reason      string
	Excerpt     string
}

func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "client: invalid token endpoint response (HTTP %d", e.StatusCode)
	if e.ContentType != "" {
		b.WriteString(", " + truncate(e.ContentType, 100)) // the server's text: bounded
	}
	b.WriteString("): " + e.Reason)
	if e.Excerpt != "" {
		fmt.Fprintf(&b, ": %q", e.Excerpt)
	}
	return b.String()
}

// endpointError is an RFC 6749 error (or a non-2xx answer) from an
// endpoint. It unwraps to the *oauth2.RetrieveError.
type endpointError struct {
	op      string // e.g. "refresh_token grant"
	re      *oauth2.RetrieveError
	excerpt string
}

func (e *endpointError) Error() string {
	var b strings.Builder
	b.WriteString("client: " + e.op + " failed")
	if e.re.Response != nil {
		fmt.Fprintf(&b, ": HTTP %d", e.re.Response.StatusCode)
	}
	if e.re.ErrorCode != "" {
		b.WriteString(": " + e.re.ErrorCode)
		if e.re.ErrorDescription != "" {
			fmt.Fprintf(&b, ": %q", e.re.ErrorDescription)
		}
		if hint := hints[e.re.ErrorCode]; hint != "" {
			b.WriteString(" (" + hint + ")")
		}
	} else if e.excerpt != "" && e.re.Response != nil {
		if ct := e.re.Response.Header.Get("Content-Type"); ct != "" {
			b.WriteString(" (" + truncate(ct, 100) + ")") // the server's text: bounded
		}
		fmt.Fprintf(&b, ": %q", e.excerpt)
	}
	return b.String()
}

func (e *endpointError) Unwrap() error { return e.re }

var hints = map[string]string{
	"invalid_client": "check the client ID, secret and Endpoint.AuthStyle",
	"invalid_scope":  "the client may not request these scopes",
}

// redactor removes known secret values from text that may echo them.
type redactor []string

const redacted = "[REDACTED]"

func (r redactor) String(s string) string {
	for _, sec := range r {
		if len(sec) < 4 {
			continue // too short to replace without mangling the text
		}
		s = strings.ReplaceAll(s, sec, redacted)
		if esc := url.QueryEscape(sec); esc != sec {
			s = strings.ReplaceAll(s, esc, redacted)
		}
	}
	return s
}

func (r redactor) Bytes(b []byte) []byte {
	return []byte(r.String(string(b)))
}

// excerpt returns a short, printable, redacted start of body.
func excerpt(body []byte, r redactor) string {
	const max = 160
	s := strings.TrimSpace(scrubTokens(r.String(string(body))))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// tokenMembers are response members whose values are credentials.
var tokenMembers = []string{"access_token", "refresh_token", "id_token"}

// scrubTokens replaces the values of token members in a body that is
// quoted in an error, JSON ("access_token": "...") or form-encoded
// (access_token=...), even when the body is truncated and could not be
// parsed, so that a cut-short token response cannot leak its tokens.
func scrubTokens(s string) string {
	for _, k := range tokenMembers {
		for from := 0; from < len(s); {
			i := strings.Index(s[from:], k)
			if i < 0 {
				break
			}
			i += from
			from = i + len(k)
			j := from
			if j < len(s) && s[j] == '"' { // JSON member name
				j = skipSpace(s, j+1)
				if j >= len(s) || s[j] != ':' {
					continue
				}
				j = skipSpace(s, j+1)
				if j >= len(s) || s[j] != '"' {
					continue
				}
				start := j + 1
				end := start
				for end < len(s) && s[end] != '"' {
					if s[end] == '\\' {
						end++
					}
					end++
				}
				end = min(end, len(s))
				s = s[:start] + redacted + s[end:]
				from = start + len(redacted)
			} else if j < len(s) && s[j] == '=' { // form parameter
				start := j + 1
				end := start
				for end < len(s) && s[end] != '&' && s[end] != ' ' && s[end] != '\n' {
					end++
				}
				s = s[:start] + redacted + s[end:]
				from = start + len(redacted)
			}
		}
	}
	return s
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}
