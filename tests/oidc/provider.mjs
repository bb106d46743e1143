// A real OpenID provider on loopback for the sign-in tests: node oidc-provider (OpenID Certified)
// with PKCE required, one confidential client, and accounts read from the JSON file the test
// writes (each with the claims Microsoft Entra ID sends: tid, oid, email, name, roles).
//
//   node tests/oidc/provider.mjs CONFIG.json
//
// CONFIG: {"port", "issuer", "client_id", "client_secret", "redirect_uri", "post_logout_redirect_uri",
//          "accounts": "accounts.json"}. accounts.json: {"<login>": {"sub", "tid", "oid", ...}},
// read again at every sign-in, so a test can change a person's roles between two sign-ins.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = () => JSON.parse(readFileSync(config.accounts, 'utf8'));

const provider = new Provider(config.issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: [config.redirect_uri],
    post_logout_redirect_uris: [config.post_logout_redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  claims: { openid: ['sub', 'tid', 'oid', 'email', 'name', 'roles', 'hasgroups', '_claim_names'] },
  // the claims go into the ID token, as Entra ID puts them
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const account = accounts()[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  cookies: { keys: ['incometrack-test-only'] },
  ttl: { Session: 600, Grant: 600, Interaction: 600, AuthorizationCode: 60, IdToken: 300, AccessToken: 300 },
});
provider.proxy = false;
// Entra ID's prompt=select_account (choose among signed-in accounts) is not OpenID Connect Core's:
// here it is answered as a plain sign-in, as Entra does for a browser with one account.
provider.use(async (ctx, next) => {
  if (ctx.path === '/auth' && ctx.query.prompt === 'select_account') {
    const query = new URLSearchParams(ctx.querystring);
    query.delete('prompt');
    ctx.querystring = query.toString();
  }
  await next();
});
const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${config.issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
