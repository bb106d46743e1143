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
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // the provider's own sign-out question, as an accessible page
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out', `<h1>Do you want to sign out of the test directory?</h1>${form}
          <button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<h1>You have signed out</h1>');
      },
    },
  },
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

// The provider's own sign-in page (login and consent in one step), written to pass axe-core:
// a language, a label bound to each input, a heading, enough contrast.
function page(title, body) {
  return `<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>${title}</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>body{font-family:Arial,sans-serif;color:#0b0c0c;margin:2em}label{display:block;margin-top:1em}
    button{margin-top:1em;background:#00703c;color:#fff;border:0;padding:.5em 1em;font-size:1rem}</style>
    </head><body><main>${body}</main></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = page('Sign in', `<h1>Sign in to the test directory</h1>
      <form method="post" action="/interaction/${details.uid}">
        <label for="login">Account</label><input id="login" name="login" autocomplete="username" required>
        <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
        <button type="submit">Sign in</button>
      </form>`);
    return undefined;
  }
  const form = await readForm(ctx.req);
  const accountId = form.get('login');
  if (!accounts()[accountId]) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Sign in', '<h1>No such account</h1>');
    return undefined;
  }
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false });
  ctx.respond = false;
  return undefined;
});
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
