// Package fleet holds the multi-process proofs of tokenward's refresh
// coordination: several OS processes (re-executions of the test binary)
// share one token cache and one client identity against an oauth2test
// server that rotates refresh tokens and detects their reuse. Its tests
// run the proofs for cache.File; cache/rediscache (its own module) runs
// them for Redis through [Proof], [KilledHolder] and [Child].
//
// References:
//   - RFC 9700 §4.14.2 (refresh token rotation and reuse detection): https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
package fleet
