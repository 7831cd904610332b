// A local OpenID provider (the OpenID Certified npm package `oidc-provider`) for the SSO tests and the
// `make run` demo. Configured on the command line:
//
//   node server.js --issuer http://127.0.0.1:8201 --port 8201 [--host 127.0.0.1]
//     --client-id ID --client-secret SECRET --redirect-uri URL [--redirect-uri URL ...]
//     [--initiate-uri URL] [--post-logout-uri URL] [--backchannel-logout-uri URL]
//     [--accounts FILE.json] [--id-token-claims]
//
// Accounts (a JSON list) carry: username, password, sub, email, email_verified, given_name, family_name,
// name, groups, amr, acr. The login form is the only interaction (consent is granted for the client).
// GET /apps shows the "app tile" that starts third-party-initiated login at --initiate-uri (kept out of the
// client metadata: oidc-provider accepts only https there).
// RP-initiated logout (GET /session/end) shows a one-button confirmation page (#logout-yes); with
// --backchannel-logout-uri the client is registered for Back-Channel Logout 1.0 with sid required, so
// every sign-out at the IdP POSTs a signed logout token there. prompt=none answers login_required when
// the browser has no IdP session.
// Prints "READY <issuer>" on stdout once it listens.

import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    issuer: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    'client-id': { type: 'string', default: 'lms' },
    'client-secret': { type: 'string', default: 'lms-secret' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'initiate-uri': { type: 'string' },
    'target-link-uri': { type: 'string' },
    'post-logout-uri': { type: 'string', multiple: true, default: [] },
    'backchannel-logout-uri': { type: 'string' },
    accounts: { type: 'string' },
    'id-token-claims': { type: 'boolean', default: false },
  },
});

const DEFAULT_ACCOUNTS = [
  {
    username: 'ada', password: 'ada', sub: 'ada', email: 'ada@example.com', email_verified: true,
    given_name: 'Ada', family_name: 'Lovelace', groups: ['Engineering'], amr: ['pwd', 'mfa', 'otp'],
    acr: 'urn:lms:acr:mfa',
  },
  {
    username: 'bob', password: 'bob', sub: 'bob', email: 'bob@example.com', email_verified: true,
    given_name: 'Bob', family_name: 'Builder', groups: [], amr: ['pwd'], acr: 'urn:lms:acr:pwd',
  },
];

const accounts = args.accounts ? JSON.parse(fs.readFileSync(args.accounts, 'utf8')) : DEFAULT_ACCOUNTS;
const bySub = new Map(accounts.map((a) => [a.sub, a]));
const byUsername = new Map(accounts.map((a) => [a.username.toLowerCase(), a]));
const issuer = args.issuer || `http://${args.host}:${args.port}`;
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const configuration = {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: args['redirect-uri'],
    post_logout_redirect_uris: args['post-logout-uri'],
    ...(args['backchannel-logout-uri'] ? {
      backchannel_logout_uri: args['backchannel-logout-uri'],
      backchannel_logout_session_required: true,
    } : {}),
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  cookies: { keys: ['test-only-cookie-key-for-the-local-provider'] },
  claims: {
    // amr, acr and auth_time ride on the openid scope so every ID token carries them.
    openid: ['sub', 'amr', 'acr', 'auth_time'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  acrValues: ['urn:lms:acr:pwd', 'urn:lms:acr:mfa'],
  // Entra-like: claims in the ID token itself, not only in userinfo.
  conformIdTokenClaims: !args['id-token-claims'],
  pkce: { required: () => true },
  // oidc-provider refuses outgoing requests to loopback addresses (SSRF protection); the relying party
  // of the tests lives on 127.0.0.1, so back-channel logout tokens go out without that check here.
  fetch: (url, options) => {
    const { dispatcher, ...rest } = options;
    return fetch(url, rest);
  },
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // Plain pages (the defaults load a web font this network cannot reach).
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out of the test IdP', `${form}<button id="logout-yes" type="submit" ` +
          'form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>');
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out of the test IdP', '<p id="idp-signed-out">You are signed out.</p>');
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
  async findAccount(ctx, sub) {
    const account = bySub.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const { password, username, amr, acr, ...claims } = account;
        return { ...claims, name: claims.name || `${claims.given_name} ${claims.family_name}` };
      },
    };
  },
  // Consent is implied for our one client: a grant with everything it asked for.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const found = await ctx.oidc.provider.Grant.find(grantId);
      if (found) return found;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false;
// Back-channel logout failures are the IdP's to report: on stderr, where a test can read them.
provider.on('backchannel.error', (ctx, err, client) => {
  process.stderr.write(`backchannel.error ${client?.clientId}: ${err.message}\n`);
});
provider.on('end_session.error', (ctx, err) => process.stderr.write(`end_session.error ${err.message}\n`));

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>` +
    `<body><h1>${escape(title)}</h1>${body}</body></html>`;
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 10000) break;
  }
  return new URLSearchParams(raw);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'POST') {
    const form = await readForm(req);
    const account = byUsername.get((form.get('username') || '').toLowerCase());
    if (!account || account.password !== form.get('password')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page('Sign in to the test IdP', `<p id="error">Wrong username or password.</p>${loginForm(uid, '')}`));
      return;
    }
    const result = { login: { accountId: account.sub, amr: account.amr || ['pwd'], acr: account.acr } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  const hint = details.params.login_hint || '';
  const name = details.prompt.name;
  if (name !== 'login' && name !== 'consent') throw new Error(`unexpected prompt ${name}`);
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(page('Sign in to the test IdP', loginForm(uid, hint)));
}

function loginForm(uid, hint) {
  const user = byUsername.has(String(hint).toLowerCase()) ? hint : (accounts.find((a) => a.email === hint)?.username || '');
  return `<form method="post" action="/interaction/${escape(uid)}">` +
    `<label>Username <input name="username" id="username" value="${escape(user)}" autocomplete="off"></label>` +
    '<label>Password <input name="password" id="password" type="password"></label>' +
    '<button type="submit" id="submit">Sign in</button></form>';
}

function appTiles(res) {
  const uri = args['initiate-uri'];
  const target = args['target-link-uri'];
  const query = new URLSearchParams({ iss: issuer, ...(target ? { target_link_uri: target } : {}) });
  const body = uri ? `<a id="tile" href="${escape(`${uri}?${query}`)}">Learning</a>` : '<p>No apps.</p>';
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(page('My apps', body));
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    const { pathname } = new URL(req.url, issuer);
    const match = pathname.match(/^\/interaction\/([\w-]+)$/);
    if (match) return await interaction(req, res, match[1]);
    if (pathname === '/apps') return appTiles(res);
    return callback(req, res);
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`error: ${err.message}`);
  }
});

const shutdown = () => server.close(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
server.listen(Number(args.port), args.host, () => {
  process.stdout.write(`READY ${issuer}\n`);
});
