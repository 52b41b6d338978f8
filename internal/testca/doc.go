// Package testca creates certificate authorities and client certificates
// for mutual-TLS tests (RFC 8705), in memory.
//
// References:
//   - RFC 8705, Mutual-TLS Client Authentication and Certificate-Bound Tokens: https://www.rfc-editor.org/rfc/rfc8705
//   - RFC 5280, X.509 Certificate and CRL Profile: https://www.rfc-editor.org/rfc/rfc5280
package testca
