// Package wire holds the rules of the OAuth 2.0 wire format that package
// client and package tokensource share, written once: Retry-After parsing
// (RFC 9110 §10.2.3), invalid_grant detection (RFC 6749 §5.2), the cap
// on expires_in (RFC 6749 §5.1) and the default port of an origin
// (RFC 6454 §4), which the CLI's same-origin check shares too.
//
// References:
//   - RFC 9110 §10.2.3, Retry-After: https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
//   - RFC 6749 §5.1 and §5.2, token and error responses: https://www.rfc-editor.org/rfc/rfc6749#section-5
//   - RFC 6454 §4, the origin of a URI: https://www.rfc-editor.org/rfc/rfc6454#section-4
package wire
