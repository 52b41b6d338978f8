package testenv

// Clients and extensions of testdata/oidc-provider/server.mjs for the standards beyond client
// secrets (keep both in sync).
const (
	// PKJWTClientID authenticates with private_key_jwt (ES256) using the key in
	// client/testdata/private_key_jwt.pem, registered under PKJWTKeyID. It may use
	// client_credentials and the JWT bearer grant.
	PKJWTClientID = "pkjwt"
	PKJWTKeyID    = "tokenward-test-es256"
	PKJWTScope    = "api:read api:write"

	// SecretJWTClientID authenticates with client_secret_jwt (HS256 over SecretJWTClientSecret);
	// client_credentials only.
	SecretJWTClientID     = "sjwt"
	SecretJWTClientSecret = "sjwt-secret-of-at-least-thirty-two-bytes"

	// PARClientID is a web client (like AppClientID) whose authorization requests must be pushed
	// (require_pushed_authorization_requests).
	PARClientID     = "par"
	PARClientSecret = "par-secret"
	PARRedirectURI  = "http://127.0.0.1:8765/callback"

	// TokenExchangeClientID may use the token exchange grant: the subject token must be an opaque
	// access token of this provider (client_credentials with resource=[ResourceOpaque]) of type
	// access_token; the issued token's introspection names the subject's client in
	// subject_client_id.
	TokenExchangeClientID     = "tx"
	TokenExchangeClientSecret = "tx-secret"

	// ServiceAccountIssuer is the iss the JWT bearer grant accepts; the assertion is signed with the
	// PKJWT key and its aud is the issuer or the token endpoint. The token's introspection carries
	// the assertion's sub as assertion_sub.
	ServiceAccountIssuer = "robot@tokenward.test"

	// RARType is the one authorization_details type (RFC 9396); its instructedAmount.amount must
	// be a string.
	RARType = "payment_initiation"
)

// Endpoint paths of the standards features, relative to the issuer.
const (
	PathOAuthMetadata = "/.well-known/oauth-authorization-server"
	PathPAR           = "/request"
	PathRegistration  = "/reg"
)

// DPoP (RFC 9449) is on and every DPoP request must carry a server nonce (use_dpop_nonce).
const DPoPRequiresNonce = true

// Mutual-TLS clients (RFC 8705). They reach the provider through Metadata.MTLSEndpointAliases
// (a loopback TLS listener on another port whose server certificate is issued by
// testdata/oidc-provider/tls/ca.pem) and get certificate-bound tokens (cnf x5t#S256).
const (
	// MTLSClientID uses tls_client_auth with tls/client.pem (CN=tokenward-mtls-client, issued by
	// the test CA).
	MTLSClientID = "mtls"
	// MTLSSelfSignedClientID uses self_signed_tls_client_auth with tls/selfsigned.pem.
	MTLSSelfSignedClientID = "mtls-self"
	// TLSDir is the test CA's directory, relative to the repository root.
	TLSDir = "testdata/oidc-provider/tls"
)
