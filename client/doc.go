// Package client obtains OAuth 2.0 tokens from authorization servers,
// standard and quirky ones alike.
//
// A [Config] describes a client registration: its credentials, the
// server's endpoints, how the client authenticates (HTTP Basic, in the
// body, or not at all) and how requests are encoded (form bodies as RFC
// 6749 says, or JSON bodies as some providers want). Its methods perform
// every grant: client credentials, resource owner password, authorization
// code with PKCE, refresh (with rotation), implicit (parsing the redirect
// fragment) and device authorization.
//
// Responses are parsed tolerantly (JSON whatever the Content-Type, or
// form-encoded; expires_in as a number, string or float; token_type in any
// case) and failures are typed: RFC 6749 §5.2 error responses, including
// those sent with status 200, are *oauth2.RetrieveError; responses that
// are not token responses are *ResponseError. No error or log line ever
// holds a client secret, password, code, verifier or token.
//
// The sources ([Config.ClientCredentialsSource], [Config.PasswordSource],
// [Config.TokenSource], [Config.JWTBearerSource],
// [Config.TokenExchangeSource]) return a *tokensource.Cached that keeps a
// token fresh; use tokensource.NewClient to authorize an http.Client with
// one. [Config.UserTokens] keeps the tokens of many users of one client
// in one store, each under a key derived from the client and the user ID,
// with a bounded set of sources in memory. [Config.Revoke] revokes a token
// (RFC 7009).
//
// Beyond client secrets: [Discover] reads a server's metadata, which
// [Config.Metadata] turns into endpoints and a client authentication
// method; [Config.ClientAssertion] authenticates the client with a JWT
// ([PrivateKeyJWT], [SecretJWT], [AssertionFile], [AssertionFunc]), made
// anew for every attempt; [Config.JWTBearerToken] and
// [Config.ExchangeToken] are the JWT bearer and token exchange grants;
// [Config.Introspect] asks about a token; [Config.PushAuthCodeURL]
// pushes an authorization request; [Resource] and [AuthorizationDetails]
// narrow what a token is for; [Register] registers a client.
//
// Tokens can be bound to the client: to a DPoP key (Config.DPoP, RFC
// 9449), whose proofs every token request and, through tokensource's
// Transport, every resource request carries; or to a TLS client
// certificate (Config.MTLS, RFC 8705), which also authenticates the
// client.
//
// References:
//   - RFC 6749, The OAuth 2.0 Authorization Framework: https://www.rfc-editor.org/rfc/rfc6749
//   - RFC 6750, Bearer Token Usage: https://www.rfc-editor.org/rfc/rfc6750
//   - RFC 7009, Token Revocation: https://www.rfc-editor.org/rfc/rfc7009
//   - RFC 7636, Proof Key for Code Exchange (PKCE): https://www.rfc-editor.org/rfc/rfc7636
//   - RFC 8252, OAuth 2.0 for Native Apps (loopback redirects): https://www.rfc-editor.org/rfc/rfc8252
//   - RFC 8628, Device Authorization Grant: https://www.rfc-editor.org/rfc/rfc8628
//   - RFC 7521, Assertion Framework for OAuth 2.0: https://www.rfc-editor.org/rfc/rfc7521
//   - RFC 7523, JWT Profile for Client Authentication and Authorization Grants: https://www.rfc-editor.org/rfc/rfc7523
//   - RFC 7591, Dynamic Client Registration: https://www.rfc-editor.org/rfc/rfc7591
//   - RFC 7592, Dynamic Client Registration Management: https://www.rfc-editor.org/rfc/rfc7592
//   - RFC 7662, Token Introspection: https://www.rfc-editor.org/rfc/rfc7662
//   - RFC 8414, Authorization Server Metadata: https://www.rfc-editor.org/rfc/rfc8414
//   - RFC 8693, Token Exchange: https://www.rfc-editor.org/rfc/rfc8693
//   - RFC 8707, Resource Indicators: https://www.rfc-editor.org/rfc/rfc8707
//   - RFC 9126, Pushed Authorization Requests: https://www.rfc-editor.org/rfc/rfc9126
//   - RFC 9396, Rich Authorization Requests: https://www.rfc-editor.org/rfc/rfc9396
//   - RFC 8705, Mutual-TLS Client Authentication and Certificate-Bound Tokens: https://www.rfc-editor.org/rfc/rfc8705
//   - RFC 9449, Demonstrating Proof of Possession (DPoP): https://www.rfc-editor.org/rfc/rfc9449
//   - RFC 9700, OAuth 2.0 Security Best Current Practice: https://www.rfc-editor.org/rfc/rfc9700
//   - RFC 9728, Protected Resource Metadata: https://www.rfc-editor.org/rfc/rfc9728
package client
