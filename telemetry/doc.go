// Package telemetry records what tokenward does as OpenTelemetry metrics
// and traces.
//
// [New] returns an [Observer] built on the OpenTelemetry API
// (go.opentelemetry.io/otel/metric and go.opentelemetry.io/otel/trace).
// Plug it in as client.Config.Observer, which sees every request to an
// authorization server, and as tokensource.Options.Observer, which sees
// renewals, cache calls and lock waits. Neither is called on the cached
// fast path: serving a cached token costs the same with or without an
// Observer. Any other implementation of client.Observer and
// tokensource.Observer may be plugged in instead.
//
// This package is its own module, so the core module's go.mod does not
// require OpenTelemetry; only programs that import telemetry do, and they
// need only the API (the SDK is required by this module's tests).
//
// # Metrics
//
// The names and attributes are a contract: they do not change.
//
//	name                              type       unit  attributes
//	tokenward.token.requests          counter    1     grant_type, outcome, error_code, http.response.status_code, server.address, server.port
//	tokenward.token.request.duration  histogram  s     same as tokenward.token.requests
//	tokenward.refreshes               counter    1     outcome, async
//	tokenward.refresh.duration        histogram  s     outcome, async
//	tokenward.cache.operations        counter    1     operation, result
//	tokenward.lock.wait.duration      histogram  s     acquired
//
// The token metrics count requests to the token endpoint only; requests
// to other endpoints (revocation, device authorization, ...) have spans
// but no metrics. A request's duration includes its retries. Histogram
// boundaries (seconds): 0.005 to 30 for requests and renewals, 0.0005 to 10
// for lock waits.
//
// Attribute values:
//
//   - outcome: "success" or "error".
//   - grant_type: the grant_type parameter ("client_credentials",
//     "refresh_token", "urn:ietf:params:oauth:grant-type:device_code", ...).
//   - error_code: only when the server answered with an OAuth error: the
//     code when the IANA OAuth Extensions Error Registry (or RFC 6749, RFC
//     8628, OpenID Connect) lists it, else "_OTHER", so that a server can
//     neither multiply time series nor put arbitrary text in a label.
//   - http.response.status_code: the final HTTP status, absent when no
//     response arrived.
//   - server.address and server.port: the endpoint's host and port, as the
//     OpenTelemetry semantic conventions define them.
//   - async: true for a background renewal (tokensource.Options.AsyncRefresh).
//   - operation: "load", "save" or "delete"; result: "hit" or "miss" (load),
//     "ok" (save, delete), or "error".
//   - acquired: whether the refresh lock was taken.
//
// # Traces
//
// Each request to an authorization server is one client span named
// "oauth2 " and the endpoint: "oauth2 token", "oauth2 revocation",
// "oauth2 device_authorization", "oauth2 introspection",
// "oauth2 pushed_authorization", "oauth2 registration",
// "oauth2 discovery". Its attributes are grant_type, server.address,
// server.port, http.response.status_code and error_code, with the values
// above. A failed request has status Error with the error code as its
// description, or, when the server sent none, a fixed text ("HTTP 503",
// "no response", "canceled", "deadline exceeded").
//
// The span is a child of the span in the request's context. A renewal by
// tokensource.Cached runs on a context derived with context.WithoutCancel
// from the call that triggered it, so even a detached or background
// refresh is parented under the caller's span.
//
// # Secrets
//
// Nothing an Observer records comes from a token, secret, code, assertion
// or error text: attribute values are the names and codes above, and span
// descriptions are fixed strings. Errors are never recorded with
// span.RecordError, whose event would carry the error's text.
//
// # Log attributes
//
// Log lines of packages client and tokensource use the same attribute
// names as the metrics and spans, so that logs, metrics and traces join on
// them: grant_type, server.address, server.port, http.response.status_code,
// error_code, outcome, async, and cache.key_hash for the cache key, which
// is logged only hashed: the first 16 hex digits of the SHA-256 of the key
// (a key may name a user).
//
// References:
//   - RFC 6749, The OAuth 2.0 Authorization Framework (error codes, section 5.2): https://www.rfc-editor.org/rfc/rfc6749#section-5.2
//   - IANA OAuth Extensions Error Registry: https://www.iana.org/assignments/oauth-parameters/oauth-parameters.xhtml#extensions-error
//   - OpenTelemetry semantic conventions (server.address, http.response.status_code): https://opentelemetry.io/docs/specs/semconv/
package telemetry
