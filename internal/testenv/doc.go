// Package testenv starts real services for tests, from Go, so that a plain go test works
// wherever the services' binaries are installed: each helper starts its processes on free
// loopback ports or private sockets in a temporary directory and stops them when the test (or,
// for services shared by a test binary, [Main]) ends. When a binary is missing the test is
// skipped, or fails under CI (CI=true, set by .ci/run): there a missing service is a broken
// setup, never a silent skip.
//
//   - [OIDCProvider]: the npm package oidc-provider (panva), configured by
//     testdata/oidc-provider/server.mjs, shared by a test binary; [Login] and [ApproveDevice]
//     script its development login and consent pages, so authorization-code and device flows
//     run end to end without a browser. The constants mirror the clients registered in
//     server.mjs (svc, app, cli, ...); keep both in sync.
//   - [Redis], [Sentinel], [Cluster]: redis-server processes for one test.
//   - [Postgres] (a schema on a server shared by the binary) and [StartPostgres].
//   - [Keyring]: a private D-Bus session bus with an unlocked gnome-keyring, shared by the
//     binary (a process has one DBUS_SESSION_BUS_ADDRESS).
//
// Shared services need the package's TestMain to call [Main] (or [Run]).
//
// Behaviour of the oidc-provider that tests may rely on:
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
//   - state is in memory: a provider started for one test forgets every token, grant and
//     session when it stops; the shared one lives as long as the test binary.
//
// References:
//   - oidc-provider: https://github.com/panva/node-oidc-provider
//   - Redis replication and WAIT: https://redis.io/docs/latest/operate/oss_and_stack/management/replication/
//   - Redis Sentinel: https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/
//   - Redis Cluster: https://redis.io/docs/latest/operate/oss_and_stack/management/scaling/
//   - Secret Service API: https://specifications.freedesktop.org/secret-service-spec/latest/
package testenv
