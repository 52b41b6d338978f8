package client

import "context"

// Observer sees every request this package sends to an authorization
// server. Package telemetry implements it on OpenTelemetry (a span and
// metrics per request); any other implementation may be plugged in as
// Config.Observer. It receives no secret, token, code or assertion.
type Observer interface {
	// StartRequest is called before a request is sent. The returned
	// context is the one the request is sent with (a tracer puts its span
	// there); done is called exactly once with the outcome.
	StartRequest(ctx context.Context, info RequestInfo) (_ context.Context, done func(RequestOutcome))
}

// RequestInfo describes a request to an authorization server.
type RequestInfo struct {
	// Endpoint names the endpoint: "token", "device_authorization",
	// "revocation", "introspection", "pushed_authorization",
	// "registration" or "discovery".
	Endpoint string
	// GrantType is the grant_type of a token request ("" otherwise).
	GrantType string
	// ServerAddress is the endpoint's host (and port, if not the default).
	ServerAddress string
}

// RequestOutcome is how a request ended.
type RequestOutcome struct {
	// StatusCode is the final HTTP status, or 0 when no response arrived.
	StatusCode int
	// ErrorCode is the RFC 6749 error code of an error answer, else "".
	ErrorCode string
	// Err is nil on success; otherwise the error the caller receives.
	Err error
}
