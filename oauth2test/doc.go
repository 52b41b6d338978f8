// Package oauth2test provides a fake OAuth 2.0 authorization server for tests,
// shaped like [net/http/httptest].
//
// [NewServer] starts a server on a loopback address that implements, in memory:
//
//   - the token endpoint (/token) with the client_credentials, password,
//     authorization_code (with PKCE), refresh_token (with optional rotation and
//     reuse detection) and device_code grants, client authentication by HTTP
//     Basic, in the body or none (public clients), and form or JSON bodies;
//   - the authorization endpoint (/authorize) with an HTML login form for the
//     authorization code and implicit flows, and [Server.Authorize] to drive it
//     without a browser;
//   - the device authorization endpoint (/device_authorization) and a user page
//     (/device), with [Server.ApproveDevice] and [Server.DenyDevice];
//   - a protected resource (/resource) that accepts Bearer tokens, and
//     DPoP-bound ones with a proof by their key;
//   - token revocation (/revoke);
//   - authorization server metadata (/.well-known/oauth-authorization-server and
//     /.well-known/openid-configuration).
//
// Every issued code and token lives on the server's own clock, which tests move
// with [Server.Advance] to make tokens expire without waiting. Failures are
// injected with [Server.QueueFault] (error bodies, HTML, garbage, Retry-After,
// latency, dropped connections), and counters such as [Server.TokenRequests]
// and [Server.LastTokenRequest] let tests assert what reached the wire.
//
// The zero configuration (nil [Options]) registers one confidential client,
// [DefaultClientID] with [DefaultClientSecret], that may use any grant, any
// client authentication style and any body format, and one user,
// [DefaultUsername] with [DefaultPassword].
//
// Beyond client secrets, a [Client] may authenticate with private_key_jwt
// ([AuthPrivateKeyJWT] with [Client.PublicKey]) or client_secret_jwt
// ([AuthSecretJWT]); assertions are checked for signature, iss and sub, aud,
// exp and jti replay. The token endpoint also serves [GrantJWTBearer] and
// [GrantTokenExchange]; [Server.IntrospectionURL], [Server.PARURL] (with
// [Client.RequirePAR], or [Options.RequirePAR] for every client) and
// [Server.RegistrationURL] serve introspection,
// pushed authorization requests and dynamic registration with RFC 7592
// management, all announced in the metadata; [ResourceMetadataPath] describes
// the protected resource.
//
// Sender-constrained tokens: a token request with a DPoP proof (or every one,
// with [Options.RequireDPoP]) gets tokens bound to the proof's key, which the
// resource accepts only with a valid proof by that key ([DPoPVerifier] checks
// every proof; [Options.DPoPNonce] adds server nonces). With
// [Options.ClientCAs] the server listens with TLS, authenticates [AuthTLS] and
// [AuthSelfSignedTLS] clients by their certificates and binds tokens to them.
//
// A Server is safe for concurrent use. It never panics on hostile input, and
// request bodies are limited to 1 MiB.
//
// The server is for tests only: it keeps everything in memory, signs nothing
// that a real resource server should trust, and has no protection against
// brute force or cross-site request forgery.
//
// Specifications:
//
//   - RFC 6749, The OAuth 2.0 Authorization Framework: https://www.rfc-editor.org/rfc/rfc6749
//   - RFC 6750, Bearer Token Usage: https://www.rfc-editor.org/rfc/rfc6750
//   - RFC 7009, Token Revocation: https://www.rfc-editor.org/rfc/rfc7009
//   - RFC 7636, Proof Key for Code Exchange (PKCE): https://www.rfc-editor.org/rfc/rfc7636
//   - RFC 8414, Authorization Server Metadata: https://www.rfc-editor.org/rfc/rfc8414
//   - RFC 7521 and RFC 7523, JWT client authentication and JWT bearer grant: https://www.rfc-editor.org/rfc/rfc7523
//   - RFC 7591 and RFC 7592, Dynamic Client Registration and Management: https://www.rfc-editor.org/rfc/rfc7591
//   - RFC 7662, Token Introspection: https://www.rfc-editor.org/rfc/rfc7662
//   - RFC 8628, Device Authorization Grant: https://www.rfc-editor.org/rfc/rfc8628
//   - RFC 8693, Token Exchange: https://www.rfc-editor.org/rfc/rfc8693
//   - RFC 8705, Mutual-TLS Client Authentication and Certificate-Bound Tokens: https://www.rfc-editor.org/rfc/rfc8705
//   - RFC 9126, Pushed Authorization Requests: https://www.rfc-editor.org/rfc/rfc9126
//   - RFC 9449, Demonstrating Proof of Possession (DPoP): https://www.rfc-editor.org/rfc/rfc9449
//   - RFC 9728, Protected Resource Metadata: https://www.rfc-editor.org/rfc/rfc9728
package oauth2test
