// Package record is the cache encoding of a token, shared by tokensource,
// the CLI and tests: a versioned JSON record with the access, refresh and
// ID tokens, expiry, scope and other extras, when the token was obtained,
// a version number that orders records of one cache key, and the identity
// of whom the token is for.
//
// References:
//   - RFC 6749 §5.1, Successful Response (the fields a record keeps): https://www.rfc-editor.org/rfc/rfc6749#section-5.1
//   - OpenID Connect Core 1.0 §2, ID Token (iss and sub, the identity): https://openid.net/specs/openid-connect-core-1_0.html#IDToken
//   - RFC 7638, JWK Thumbprint (a DPoP key's binding, JKT): https://www.rfc-editor.org/rfc/rfc7638
//   - RFC 8705 §3.1, x5t#S256 (a certificate's binding, CertThumbprint): https://www.rfc-editor.org/rfc/rfc8705#section-3.1
package record
