// Package oidctest helps Go tests use the real authorization server that scripts/test.sh runs:
// the npm package oidc-provider (panva), configured by testdata/oidc-provider/server.mjs.
//
// scripts/test.sh starts the services on loopback and exports
//
//	OIDC_ISSUER=http://127.0.0.1:<port>   (oidc-provider)
//	REDIS_ADDR=127.0.0.1:<port>           (redis-server)
//	DBUS_SESSION_BUS_ADDRESS=...          (private D-Bus session with an unlocked gnome-keyring)
//
// A test asks for a service with [Issuer] or [RequireEnv]. When the service is missing the test
// is skipped on a developer machine (plain `go test ./...` keeps working), but fails under CI
// (CI=true, set by .ci/run): in CI a missing service is a broken setup, never a silent skip.
//
// The constants mirror the clients registered in server.mjs (svc, app, cli); keep both in sync.
// [Login] and [ApproveDevice] script the provider's built-in development login and consent
// pages (devInteractions: any username, any password), so authorization-code and device flows
// can run end to end without a browser.
//
// Behaviour of this provider that tests may rely on:
//   - access tokens live 300 s; by default they are RS256 JWTs (typ at+jwt) with
//     aud=[ResourceJWT]; with resource=[ResourceOpaque] they are opaque (only opaque tokens can
//     be introspected or revoked);
//   - PKCE (S256) is required for every authorization request;
//   - refresh tokens are always issued to clients allowed the refresh_token grant and rotate on
//     every refresh; presenting a rotated-out refresh token fails with invalid_grant and revokes
//     the whole grant, so the newest refresh token dies too (reuse detection);
//   - the device authorization response has no interval (clients default to 5 s; tests should
//     poll faster) and slow_down is not enforced;
//   - asking for a scope the client may not have (e.g. openid for svc) fails with invalid_scope;
//     scopes the server does not know at all are silently dropped;
//   - state is in memory: restarting the provider forgets every token, grant and session.
//
// This package uses only the standard library so that any package's tests can import it.
package oidctest
