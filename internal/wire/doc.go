// Package wire holds the rules of the OAuth 2.0 wire format that package
// client and package tokensource share, written once: Retry-After parsing
// (RFC 9110 §10.2.3), invalid_grant detection (RFC 6749 §5.2), the cap
// on expires_in (RFC 6749 §5.1) and the default port of an origin
// (RFC 6454 §4), which the CLI's same-origin check shares too.
package wire
