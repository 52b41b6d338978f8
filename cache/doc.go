// Package cache stores encoded tokens for tokensource: in memory
// ([Memory]) or on disk ([File]), optionally sealed with AES-GCM
// ([Sealed]). Subpackages keep them in the OS keychain
// (cache/keychain) and in Redis for fleets of processes
// (cache/rediscache); cache/cachetest checks any implementation.
//
// Every cache here is safe for concurrent use, treats its values as
// opaque bytes, never returns an entry past the expiry it was saved with,
// and honours context cancellation.
//
// Which cache for which program:
//   - a command-line tool: cache/keychain, so a run does not log in again;
//   - one long-running service: [Memory], or [File] to survive restarts;
//   - a fleet sharing one client identity: cache/rediscache, whose lock
//     makes one process per token lifetime call the token endpoint.
//
// References:
//   - RFC 6749 §10.4 (refresh tokens must be kept confidential): https://www.rfc-editor.org/rfc/rfc6749#section-10.4
//   - NIST SP 800-38D (AES-GCM): https://csrc.nist.gov/pubs/sp/800/38/d/final
package cache
