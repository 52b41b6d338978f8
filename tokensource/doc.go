// Package tokensource keeps OAuth 2.0 access tokens fresh and injects them
// into HTTP requests.
//
// A [Cached] wraps any [Source] (a grant flow from package client, or any
// oauth2.TokenSource through [FromOAuth2]) and serves its current token
// without locks or clock reads on the hot path. It renews the token before
// it expires (see [Options.ExpiryWindow]), lets exactly one refresh run at a
// time, keeps serving a still-valid token when a refresh fails, and with
// [Options.AsyncRefresh] renews in the background so that no request waits
// on the token endpoint while a valid token exists.
//
// With [Options.Cache], the cache is the record: a Cached first loads its
// key, saves every new token before serving it, and, when the cache is also
// a [Locker], coordinates refreshes with other processes that share the key
// so that one of them calls the token endpoint.
//
// A token is fresh until its expiry window starts, then stale (served while
// it is renewed, and, while renewal fails, until it expires), then invalid.
//
// A cache key names whom a token is for ([Options.CacheKey]); it is never
// derived from a token's contents, so a Cache without a CacheKey fails with
// [ErrNoCacheKey]. Restart pattern: after a login, [Save] the token under
// the key (or build the source with it); a restarted process builds its
// source with no token and the same key and finds the saved one. Records
// are versioned: a Cached never adopts a record older than the one it holds
// (it writes its newer one back), nor one whose identity, the issuer and
// subject of its id_token, contradicts the token the source was built with
// ([ErrIdentityMismatch]). A source that renews with a refresh token never
// renews on a Locker cache without holding the lock ([ErrNotLocked]); the
// lock's lease outlives the refresh budget, and the refresh stops when the
// lease ends. Each cache call has its own small budget.
//
// [Transport] and [NewClient] add the token to outgoing requests as
// described in RFC 6750 section 2.1, and retry once with a new token when a
// resource server answers 401 with error="invalid_token" (RFC 6750
// section 3.1). They send a token only to the origin of the first request
// and only over https (plain http to loopback excepted); [NewClient]
// refuses redirects elsewhere ([ErrRefusedOrigin]). A DPoP-bound token is
// sent with a fresh proof of possession of its key ([Prover],
// [Options.DPoP]) on every request, answering a resource server's nonce
// challenge once (RFC 9449); a cached token bound to another key or client
// certificate is never used.
//
// References:
//   - RFC 6749, The OAuth 2.0 Authorization Framework: https://www.rfc-editor.org/rfc/rfc6749
//   - RFC 6750, Bearer Token Usage: https://www.rfc-editor.org/rfc/rfc6750
//   - RFC 8705, Mutual-TLS Certificate-Bound Access Tokens: https://www.rfc-editor.org/rfc/rfc8705
//   - RFC 9449, Demonstrating Proof of Possession (DPoP): https://www.rfc-editor.org/rfc/rfc9449
//   - RFC 9700, OAuth 2.0 Security Best Current Practice (refresh token rotation): https://www.rfc-editor.org/rfc/rfc9700
package tokensource
