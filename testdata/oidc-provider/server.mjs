// oidc-provider (panva) as a real, independent OpenID Provider for tokenward's integration tests.
//
//   PORT=9400 node server.mjs        # issuer http://127.0.0.1:PORT, loopback only
//
// scripts/test.sh starts it and exports OIDC_ISSUER; Go tests use internal/oidctest, whose
// constants mirror the clients below (keep both in sync). State is in memory: a restart forgets
// every token, grant and session. Verified recipe: shared/recipes/real-services.md, section 4a.
import Provider, { errors } from 'oidc-provider';

const PORT = Number(process.env.PORT || 9400);
const ISSUER = `http://127.0.0.1:${PORT}`;
const API = 'urn:example:api';           // default resource server (RFC 8707): JWT access tokens
const API_OPAQUE = 'urn:example:opaque'; // request with resource=urn:example:opaque for opaque tokens

const configuration = {
  clients: [
    { // confidential machine client: client_credentials only
      client_id: 'svc', client_secret: 'svc-secret',
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      scope: 'api:read api:write',
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
  ],
  scopes: ['openid', 'offline_access', 'api:read', 'api:write'], // every scope a client may list must be here
  features: {
    devInteractions: { enabled: true },      // built-in login/consent pages (any login/password accepted)
    clientCredentials: { enabled: true },
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
};

const provider = new Provider(ISSUER, configuration);
provider.on('server_error', (ctx, err) => console.error('server_error', err));
const server = provider.listen(PORT, '127.0.0.1', () => console.log(`oidc-provider listening on ${ISSUER}`));
server.on('error', (err) => { console.error(`oidc-provider: cannot listen on 127.0.0.1:${PORT}: ${err.message}`); process.exit(1); });
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
