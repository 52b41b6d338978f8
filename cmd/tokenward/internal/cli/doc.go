// Package cli implements the tokenward command: profiles in a config
// file, secrets and tokens in the OS keychain, and the profile, token,
// login, logout, status, curl, header, introspect and register commands.
// cmd/tokenward only calls [Main].
//
// References:
//   - RFC 6749, The OAuth 2.0 Authorization Framework: https://www.rfc-editor.org/rfc/rfc6749
//   - RFC 7636, Proof Key for Code Exchange (PKCE): https://www.rfc-editor.org/rfc/rfc7636
//   - RFC 8252, OAuth 2.0 for Native Apps (loopback redirects): https://www.rfc-editor.org/rfc/rfc8252
//   - RFC 8628, Device Authorization Grant: https://www.rfc-editor.org/rfc/rfc8628
//   - RFC 7009, Token Revocation: https://www.rfc-editor.org/rfc/rfc7009
//   - RFC 7662, Token Introspection: https://www.rfc-editor.org/rfc/rfc7662
//   - RFC 7591, Dynamic Client Registration: https://www.rfc-editor.org/rfc/rfc7591
//   - RFC 8693, Token Exchange: https://www.rfc-editor.org/rfc/rfc8693
//   - RFC 8705, Mutual-TLS Client Authentication: https://www.rfc-editor.org/rfc/rfc8705
//   - RFC 9449, Demonstrating Proof of Possession (DPoP): https://www.rfc-editor.org/rfc/rfc9449
package cli
