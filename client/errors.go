package client

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

var (
	// ErrInsecureURL is matched by errors for endpoints (token, device
	// authorization, revocation, introspection, PAR, registration, and
	// every URL discovery learns) that are not https and not on loopback.
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

// TransportError reports a request that got no HTTP response (connection
// refused or reset, timeout, TLS failure), after any retries. Err is the
// cause, so errors.Is and errors.As see through it (syscall.ECONNREFUSED,
// x509 errors, and net.Error through the *url.Error it holds); Error
// redacts the request's secrets from the cause's text.
type TransportError struct {
	Op   string // e.g. "refresh_token grant"
	Err  error
	text string // Err's message, redacted; "" means Err.Error()
}

// Timeout reports whether the request timed out.
func (e *TransportError) Timeout() bool {
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

func (e *TransportError) Error() string {
	text := e.text
	if text == "" {
		text = e.Err.Error()
	}
	return "client: " + e.Op + ": " + text
}

func (e *TransportError) Unwrap() error { return e.Err }
