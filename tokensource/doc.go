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
// [Transport] and [NewClient] add the token to outgoing requests as
// described in RFC 6750 section 2.1, and retry once with a new token when a
// resource server answers 401 with error="invalid_token" (RFC 6750
// section 3.1).
//
// References:
//   - RFC 6749, The OAuth 2.0 Authorization Framework: https://www.rfc-editor.org/rfc/rfc6749
//   - RFC 6750, Bearer Token Usage: https://www.rfc-editor.org/rfc/rfc6750
//   - RFC 9700, OAuth 2.0 Security Best Current Practice (refresh token rotation): https://www.rfc-editor.org/rfc/rfc9700
package tokensource
