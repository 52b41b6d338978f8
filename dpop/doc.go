// Package dpop makes DPoP keys and proofs (RFC 9449), which bind OAuth 2.0
// access and refresh tokens to a key the client holds, so that a stolen
// token is useless without the key.
//
// A [Key] wraps any [crypto.Signer]: an in-memory key, or one in a KMS, an
// HSM or a platform keystore, of which NewKey reads only the public key.
// ES256 on P-256 is preferred (and what [GenerateKey] makes); ES384, ES512,
// RS256 and PS256 (RSA of 2048 bits or more) and EdDSA (Ed25519) work too.
//
// [Key.Proof] makes a fresh proof for one HTTP request, to send in its
// "DPoP" header: on every token request (with the authorization server's
// nonce once it asks for one), and on every resource request together with
// "Authorization: DPoP <access token>" (the proof then carries the token's
// hash). A proof is never reused. [Key.Thumbprint] is the key's dpop_jkt
// for authorization and pushed authorization requests.
//
// Proofs are built by hand over a header encoded once per key; the tests
// parse and verify every kind with go-jose. Per proof the cost is the
// signature plus about 2% (ES256), where a go-jose builder adds about 50%.
//
// Specifications:
//
//   - RFC 9449, OAuth 2.0 Demonstrating Proof of Possession (DPoP): https://www.rfc-editor.org/rfc/rfc9449
//   - RFC 7515, JSON Web Signature (JWS): https://www.rfc-editor.org/rfc/rfc7515
//   - RFC 7517, JSON Web Key (JWK): https://www.rfc-editor.org/rfc/rfc7517
//   - RFC 7518, JSON Web Algorithms (JWA): https://www.rfc-editor.org/rfc/rfc7518
//   - RFC 7638, JSON Web Key (JWK) Thumbprint: https://www.rfc-editor.org/rfc/rfc7638
//   - RFC 8037, CFRG Elliptic Curve Signatures in JOSE (EdDSA): https://www.rfc-editor.org/rfc/rfc8037
//   - RFC 3986 section 6, URI normalization and comparison: https://www.rfc-editor.org/rfc/rfc3986#section-6
package dpop
