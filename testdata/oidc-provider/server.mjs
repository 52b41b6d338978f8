// oidc-provider (panva) as a real, independent OpenID Provider for tokenward's integration tests.
//
//   PORT=9400 node server.mjs        # issuer http://127.0.0.1:PORT, loopback only; PORT=0: any
//                                    # free port; prints "oidc-provider listening on <issuer> ..."
//   EXIT_WITH_STDIN=1                # also exit when stdin closes (the Go test binary died)
//
// Go tests start it with internal/testenv.OIDCProvider, whose constants mirror the clients
// below (keep both in sync). State is in memory: a restart forgets
// every token, grant and session. Verified recipe: shared/recipes/real-services.md, section 4a.
import Provider, { errors } from 'oidc-provider';
import * as jose from 'jose'; // oidc-provider's own dependency, for the JWT bearer grant
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';

// listen binds server to 127.0.0.1:port (0: any free port) and returns the port it got.
const listen = (server, port) => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', () => resolve(server.address().port));
});
const httpServer = http.createServer();
const PORT = await listen(httpServer, Number(process.env.PORT ?? 9400)).catch((err) => {
  console.error(`oidc-provider: cannot listen on 127.0.0.1:${process.env.PORT ?? 9400}: ${err.message}`);
  process.exit(1);
});
const ISSUER = `http://127.0.0.1:${PORT}`;
const API = 'urn:example:api';           // default resource server (RFC 8707): JWT access tokens
const API_OPAQUE = 'urn:example:opaque'; // request with resource=urn:example:opaque for opaque tokens
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';       // RFC 7523 section 2.1
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'; // RFC 8693
const TT_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const RAR_TYPE = 'payment_initiation'; // the one rich authorization request type (RFC 9396)
// Public half of client/testdata/private_key_jwt.pem (ES256): the pkjwt client's key, which also
// signs the JWT bearer grant's service-account assertions (iss SERVICE_ACCOUNT).
const PKJWT_JWK = {"use": "sig", "kty": "EC", "kid": "tokenward-test-es256", "crv": "P-256", "alg": "ES256", "x": "GUmOO5WxknrFo3JfmzuT37tBUYepphdrz4l8oJZnB-U", "y": "6Jqa9cJfDxnP9dgJ50NGSbGeP4uButoeGX2IhIDFJdk"};
const SERVICE_ACCOUNT = 'robot@tokenward.test';
// mTLS (RFC 8705): a loopback TLS listener on MTLS_PORT (default: any free port) with the test CA in
// tls/ (server.pem for 127.0.0.1, client.pem issued to CN=tokenward-mtls-client, selfsigned.pem).
// Its endpoints are announced as mtls_endpoint_aliases; the http listener stays the issuer.
const tlsFile = (f) => fs.readFileSync(new URL(`./tls/${f}`, import.meta.url));
const tlsServer = https.createServer({
  key: tlsFile('server.key'), cert: tlsFile('server.pem'), ca: tlsFile('ca.pem'),
  requestCert: true, rejectUnauthorized: false, // the provider decides (certificateAuthorized)
});
const MTLS = `https://127.0.0.1:${await listen(tlsServer, Number(process.env.MTLS_PORT || 0))}`;
const SELF_SIGNED_JWK = {"use": "sig", "kty": "EC", "crv": "P-256", "x": "l0m01RfnZfQpDvz9ZORbyreUSajtx3kS57cxZmRE3Ac", "y": "FVhSgOshqTOe4OJr1K4twO2nH4hraOnAEw1HwYCVbBE", "x5c": ["MIIBlzCCAT2gAwIBAgIUDT20OH7FNIr2FKwLSilAkPBl9w8wCgYIKoZIzj0EAwIwIDEeMBwGA1UEAwwVdG9rZW53YXJkLXNlbGYtc2lnbmVkMCAXDTI2MTIwMTIwNTAwM1oYDzIxMjYxMTA3MjA1MDAzWjAgMR4wHAYDVQQDDBV0b2tlbndhcmQtc2VsZi1zaWduZWQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASXSbTVF+dl9CkO/P1k5FvKt5RJqO3HeRLntzFmZETcBxVYUoDrIakznuDia9SuLcDtpx+Ia2jpwBMNR8GAlWwRo1MwUTAdBgNVHQ4EFgQUG7p8PN2RkzQG3x9SYgMkpOlbvpowHwYDVR0jBBgwFoAUG7p8PN2RkzQG3x9SYgMkpOlbvpowDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBr8Z/p/zgWt8Z080i8ye2bSV3YOjR4YIA9iSpYVF+7wQIhAPDr1A5yUSOQ+2P7Jm2l45+qLO70CpC3Pb45nRydYB2i"], "x5t#S256": "EG4oR8g0IDpGWy7sChCrOyd3kHyIcOoYYg9opkec2lQ"}; // public key and x5c of tls/selfsigned.pem
// askedDetails is the request's authorization_details (a JSON string parameter), already validated.
const askedDetails = (ctx) => {
  const d = ctx.oidc.params.authorization_details;
  return typeof d === 'string' ? JSON.parse(d) : d;
};

const configuration = {
  clients: [
    { // confidential machine client: client_credentials only
      client_id: 'svc', client_secret: 'svc-secret',
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      scope: 'api:read api:write',
      authorization_details_types: [RAR_TYPE], // rich authorization requests (RFC 9396)
    },
    { // confidential web client: auth code + PKCE, refresh (rotating), device code
      client_id: 'app', client_secret: 'app-secret',
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'], redirect_uris: ['http://127.0.0.1:8765/callback'],
      scope: 'openid offline_access api:read api:write',
    },
    { // public native client (CLI): PKCE mandatory, loopback redirect on any port
      client_id: 'cli', token_endpoint_auth_method: 'none', application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'], redirect_uris: ['http://127.0.0.1/callback'],
      scope: 'openid offline_access api:read',
    },
    { // private_key_jwt (RFC 7523 section 2.2) with PKJWT_JWK; also the JWT bearer grant
      client_id: 'pkjwt', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [PKJWT_JWK] },
      grant_types: ['client_credentials', JWT_BEARER], response_types: [], redirect_uris: [],
      scope: 'api:read api:write',
    },
    { // client_secret_jwt (HS256 over the secret)
      client_id: 'sjwt', client_secret: 'sjwt-secret-of-at-least-thirty-two-bytes', token_endpoint_auth_method: 'client_secret_jwt',
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      scope: 'api:read api:write',
    },
    { // web client that must use pushed authorization requests (RFC 9126)
      client_id: 'par', client_secret: 'par-secret', require_pushed_authorization_requests: true,
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      redirect_uris: ['http://127.0.0.1:8765/callback'], scope: 'openid offline_access api:read api:write',
    },
    { // token exchange (RFC 8693): trades another client's opaque access token for its own
      client_id: 'tx', client_secret: 'tx-secret',
      grant_types: [TOKEN_EXCHANGE], response_types: [], redirect_uris: [],
      scope: 'api:read api:write',
    },
    { // tls_client_auth: the CA-issued certificate with this subject DN; certificate-bound tokens
      client_id: 'mtls', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=tokenward-mtls-client',
      tls_client_certificate_bound_access_tokens: true,
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'api:read api:write',
    },
    { // self_signed_tls_client_auth with tls/selfsigned.pem; certificate-bound tokens
      client_id: 'mtls-self', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [SELF_SIGNED_JWK] },
      tls_client_certificate_bound_access_tokens: true,
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'api:read api:write',
    },
  ],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none',
    'tls_client_auth', 'self_signed_tls_client_auth'],
  discovery: {
    mtls_endpoint_aliases: {
      token_endpoint: `${MTLS}/token`, revocation_endpoint: `${MTLS}/token/revocation`,
      introspection_endpoint: `${MTLS}/token/introspection`, device_authorization_endpoint: `${MTLS}/device/auth`,
      pushed_authorization_request_endpoint: `${MTLS}/request`, userinfo_endpoint: `${MTLS}/me`,
    },
  },
  scopes: ['openid', 'offline_access', 'api:read', 'api:write'], // every scope a client may list must be here
  features: {
    devInteractions: { enabled: true },      // built-in login/consent pages (any login/password accepted)
    pushedAuthorizationRequests: { enabled: true }, // PAR (RFC 9126); the par client requires it
    registration: { enabled: true },         // open dynamic registration (RFC 7591)
    registrationManagement: { enabled: true }, // RFC 7592 read/update/delete; rotates the access token on update
    // DPoP (RFC 9449) with server nonces on every DPoP request (the proof must carry a fresh nonce)
    dPoP: { enabled: true, nonceSecret: Buffer.alloc(32, 'tokenward-test-dpop-nonce-secret'), requireNonce: () => true },
    richAuthorizationRequests: {
      enabled: true,
      types: { [RAR_TYPE]: { validate(ctx, detail) {
        if (typeof detail.instructedAmount?.amount !== 'string') throw new errors.InvalidAuthorizationDetails('instructedAmount.amount must be a string');
      } } },
      // Policy: grant exactly what was asked, show it on introspection.
      authorizationDetailsForGrantSource: (ctx, source) => source.rar ?? askedDetails(ctx),
      authorizationDetailsForAccessToken: (ctx, token, source) => source?.rar ?? askedDetails(ctx),
      authorizationDetailsForIntrospection: (ctx, token) => token.rar,
    },
    clientCredentials: { enabled: true },
    mTLS: {
      enabled: true, tlsClientAuth: true, selfSignedTlsClientAuth: true, certificateBoundAccessTokens: true,
      getCertificate(ctx) {
        const peer = ctx.socket.getPeerCertificate?.();
        return peer?.raw ? new X509Certificate(peer.raw) : undefined;
      },
      certificateAuthorized: (ctx) => ctx.socket.authorized === true,
      certificateSubjectMatches(ctx, property, expected) {
        if (property !== 'tls_client_auth_subject_dn') return false;
        return `CN=${ctx.socket.getPeerCertificate().subject.CN}` === expected;
      },
    },
    deviceFlow: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => API,            // no `resource` param needed
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        // urn:example:api -> JWT access tokens (at+jwt, RS256); urn:example:opaque -> opaque tokens
        // (only opaque tokens can be introspected/revoked at this server)
        if (resource !== API && resource !== API_OPAQUE) throw new errors.InvalidTarget();
        return { scope: 'api:read api:write', audience: resource, accessTokenTTL: 300,
                 accessTokenFormat: resource === API ? 'jwt' : 'opaque' };
      },
    },
  },
  pkce: { required: () => true },            // PKCE (S256) for every auth-code request
  rotateRefreshToken: true,                  // every refresh returns a new RT, old one is consumed
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'), // no offline_access/prompt=consent dance
  ttl: { AccessToken: 300, ClientCredentials: 300, RefreshToken: 3600, DeviceCode: 600, AuthorizationCode: 60,
         Grant: 3600, Interaction: 600, Session: 3600, IdToken: 300 },
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  // auto-consent: create the grant on first use so scripted logins skip the consent page
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid offline_access api:read api:write'); // api:* are also in `scopes`, so consent checks them as OP scopes
    grant.addResourceScope(API, 'api:read api:write');
    grant.addResourceScope(API_OPAQUE, 'api:read api:write');
    await grant.save();
    return grant;
  },
  cookies: { keys: ['test-cookie-key-not-secret'] },
  // Claims the custom grants (token exchange, JWT bearer) attach to their tokens; introspection shows them.
  extraTokenClaims: (ctx) => ctx.state?.tokenwardExtra,
};

const provider = new Provider(ISSUER, configuration);

// issueFor saves a client-credentials-style access token for the authenticated client (custom
// grants have no helpers of their own) and answers with it.
async function issueFor(ctx, extra, exchanged) {
  const { client } = ctx.oidc;
  const asked = (ctx.oidc.params.scope || client.scope || '').split(' ').filter(Boolean);
  const allowed = new Set((client.scope || '').split(' '));
  if (asked.some((s) => !allowed.has(s))) throw new errors.InvalidScope('requested scope is not allowed', ctx.oidc.params.scope);
  ctx.state.tokenwardExtra = extra; // read by extraTokenClaims when the token is saved
  const token = new ctx.oidc.provider.ClientCredentials({ client, scope: asked.join(' ') || undefined });
  const value = await token.save();
  ctx.body = { access_token: value, token_type: 'Bearer', expires_in: token.expiration, scope: token.scope, ...exchanged && { issued_token_type: TT_ACCESS_TOKEN } };
}

// RFC 7523 section 2.1: a service-account assertion signed with PKJWT_JWK; iss SERVICE_ACCOUNT,
// aud the issuer or the token endpoint.
const pkjwtKey = await jose.importJWK(PKJWT_JWK, 'ES256');
provider.registerGrantType(JWT_BEARER, async (ctx) => {
  let payload;
  try {
    ({ payload } = await jose.jwtVerify(String(ctx.oidc.params.assertion), pkjwtKey, {
      issuer: SERVICE_ACCOUNT, audience: [ISSUER, `${ISSUER}/token`], maxTokenAge: '1h', requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (err) {
    throw new errors.InvalidGrant(`invalid assertion: ${err.code || 'ERR'}`);
  }
  await issueFor(ctx, { assertion_sub: payload.sub }, false);
}, ['assertion', 'scope']);

// RFC 8693: the subject token must be an opaque access token this server issued (get one with
// client_credentials and resource=urn:example:opaque); the answer is a token for the tx client
// that names the subject's client in extra claims (visible on introspection).
provider.registerGrantType(TOKEN_EXCHANGE, async (ctx) => {
  const p = ctx.oidc.params;
  if (p.subject_token_type !== TT_ACCESS_TOKEN) throw new errors.InvalidRequest('unsupported subject_token_type');
  if (p.requested_token_type && p.requested_token_type !== TT_ACCESS_TOKEN) throw new errors.InvalidRequest('unsupported requested_token_type');
  if (p.actor_token && !p.actor_token_type) throw new errors.InvalidRequest('actor_token_type missing');
  const subject = await ctx.oidc.provider.ClientCredentials.find(String(p.subject_token))
    || await ctx.oidc.provider.AccessToken.find(String(p.subject_token));
  if (!subject || subject.isExpired) throw new errors.InvalidGrant('subject_token is invalid or expired');
  await issueFor(ctx, { subject_client_id: subject.clientId, ...p.actor_token && { act: { sub: 'actor' } } }, true);
}, ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'audience', 'scope'], ['audience']);
provider.on('server_error', (ctx, err) => console.error('server_error', err));
tlsServer.on('request', provider.callback());
httpServer.on('request', provider.callback());
console.log(`oidc-provider listening on ${ISSUER} (mTLS ${MTLS})`);
if (process.env.EXIT_WITH_STDIN) process.stdin.on('end', () => process.exit(0)).resume();
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
