// Test OAuth 2.0 authorization server for make check: oidc-provider, client_credentials only,
// HTTPS only.  Started and stopped by tests/lib/as.sh; never used outside the tests.
//
// Environment:
//   AS_PORT (required)  AS_HOST (127.0.0.1)  AS_NAME (instance name for the log, default "as")
//   AS_PATH             issuer path, e.g. /tenant1 (default none: issuer https://HOST:PORT)
//   AS_RFC8414=0        do not serve the RFC 8414 path-insertion form for a path issuer, so that
//                       discovery must fall back to the OIDC form
//   AS_STATE_DIR        directory made by as_setup_ca: as-rsa.pem as-ec.pem (AS keys),
//                       client-c-*.pub.pem (private_key_jwt public keys), server.crt server.key ca.crt
//   AS_TOKEN_TTL        access token lifetime in seconds (default 600)
//   AS_LOG              request log: one line per token / introspection request, no secrets
//   AS_PEERS            space-separated issuers of other instances: the introspection endpoint
//                       also answers for their tokens (global introspection)
//
// Clients (secrets are test constants):
//   service-a / secret-a   client_secret_basic
//   service-b / secret-b   client_secret_post
//   service-c              private_key_jwt; public keys from client-c-{ec,rsa,ed}.pub.pem (kid = file tag)
//   service-e              the same keys; RFC 10070 only: aud must be the issuer identifier as a single
//                          string and the header typ client-authentication+jwt
//   service-f              the same keys; the pre-RFC 10070 form only: aud must be the token endpoint
//   service-d              tls_client_auth, certificate subject CN=service-d from the test CA
//   rs / rs-secret         a resource server, calls introspection (client_secret_basic)
//   rs-post / rs-secret    the same with client_secret_post
// Resources (the resource indicator becomes aud):
//   urn:test:rs256 (default) JWT RS256 kid rsa-1; urn:test:es256 JWT ES256 kid ec-1; urn:test:opaque
import fs from 'node:fs';
import https from 'node:https';
import crypto from 'node:crypto';
import Provider, { errors as oidcErrors } from 'oidc-provider';
import { jwtVerify, createLocalJWKSet, createRemoteJWKSet, decodeJwt } from 'jose';

const env = process.env;
const HOST = env.AS_HOST || '127.0.0.1';
const PORT = Number(env.AS_PORT);
const NAME = env.AS_NAME || 'as';
const PATH = (env.AS_PATH || '').replace(/\/+$/, '');
const DIR = env.AS_STATE_DIR;
const TTL = Number(env.AS_TOKEN_TTL || 600);
const ISSUER = `https://${HOST}:${PORT}${PATH}`;
const PEERS = (env.AS_PEERS || '').split(/\s+/).filter(Boolean);
if (!PORT || !DIR) {
  console.error('as-server: AS_PORT and AS_STATE_DIR are required');
  process.exit(2);
}

function logLine(line) {
  if (env.AS_LOG) fs.appendFileSync(env.AS_LOG, `${line}\n`);
}

function privJwk(file, kid, alg) {
  const jwk = crypto.createPrivateKey(fs.readFileSync(`${DIR}/${file}`)).export({ format: 'jwk' });
  return { ...jwk, kid, alg, use: 'sig' };
}
const keys = [privJwk('as-rsa.pem', 'rsa-1', 'RS256'), privJwk('as-ec.pem', 'ec-1', 'ES256')];
const publicKeys = keys.map(({ d, p, q, dp, dq, qi, ...pub }) => pub);

// private_key_jwt keys of service-c: every client-c-TAG.pub.pem present, kid client-c-TAG
const clientCKeys = fs.readdirSync(DIR).filter((f) => /^client-c-[a-z0-9]+\.pub\.pem$/.test(f)).map((f) => {
  const jwk = crypto.createPublicKey(fs.readFileSync(`${DIR}/${f}`)).export({ format: 'jwk' });
  return { ...jwk, kid: f.replace('.pub.pem', ''), use: 'sig' };
});

const SCOPES = ['openid', 'imap', 'smtp', 'ldap', 'ldap.read', 'email'];
const clientsCfg = [
  { client_id: 'service-a', client_secret: 'secret-a', token_endpoint_auth_method: 'client_secret_basic' },
  { client_id: 'service-b', client_secret: 'secret-b', token_endpoint_auth_method: 'client_secret_post' },
  { client_id: 'service-c', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: clientCKeys } },
  { client_id: 'service-e', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: clientCKeys } },
  { client_id: 'service-f', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: clientCKeys } },
  { client_id: 'service-d', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=service-d' },
  { client_id: 'rs', client_secret: 'rs-secret', token_endpoint_auth_method: 'client_secret_basic' },
  { client_id: 'rs-post', client_secret: 'rs-secret', token_endpoint_auth_method: 'client_secret_post' },
].map((c) => ({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [], ...c }));
const secrets = Object.fromEntries(clientsCfg.filter((c) => c.client_secret).map((c) => [c.client_id, c.client_secret]));

const RESOURCES = {
  'urn:test:rs256': { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } },
  'urn:test:es256': { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } },
  'urn:test:opaque': { accessTokenFormat: 'opaque' },
};

function peerCert(ctx) {
  const c = ctx.socket.getPeerCertificate ? ctx.socket.getPeerCertificate() : null;
  return c && c.raw ? new crypto.X509Certificate(c.raw) : null;
}

const provider = new Provider(ISSUER, {
  clients: clientsCfg,
  jwks: { keys },
  scopes: SCOPES,
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth'],
  cookies: { keys: ['test-cookie-key-not-secret'] },
  ttl: { ClientCredentials: TTL },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    mTLS: {
      enabled: true,
      tlsClientAuth: true,
      getCertificate: (ctx) => peerCert(ctx)?.toString(),
      certificateAuthorized: (ctx) => ctx.socket.authorized === true,
      certificateSubjectMatches: (ctx, property, expected) =>
        property === 'tls_client_auth_subject_dn' && peerCert(ctx)?.subject === expected,
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client, oneOf) => oneOf || 'urn:test:rs256',
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resourceIndicator) => {
        const rs = RESOURCES[resourceIndicator];
        if (!rs) throw new Provider.errors.InvalidTarget();
        return { scope: SCOPES.join(' '), audience: resourceIndicator, ...rs };
      },
    },
  },
  extraTokenClaims: async (ctx, token) => ({ client_id: token.clientId }),
  // oidc-provider itself accepts the issuer, the token endpoint or the endpoint URL as aud
  // (lib/helpers/oidc_context.js clientJwtAuthExpectedAudience); this hook narrows it per client
  // to what an RFC 10070 server, or a server that predates it, insists on.
  assertJwtClientAuthClaimsAndHeader: async (ctx, claims, header, client) => {
    if (client.clientId === 'service-e') {
      if (claims.aud !== ctx.oidc.issuer) throw new oidcErrors.InvalidClientAuth('aud must be the issuer identifier alone');
      if (header.typ !== 'client-authentication+jwt') throw new oidcErrors.InvalidClientAuth('typ must be client-authentication+jwt');
    }
    if (client.clientId === 'service-f' && claims.aud !== ctx.oidc.urlFor('token')) {
      throw new oidcErrors.InvalidClientAuth('aud must be the token endpoint');
    }
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
const cb = provider.callback();

async function readBody(req) {
  const chunks = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > 1 << 20) throw new Error('body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

// Who is calling, for the log only: never a secret or an assertion.
function callerOf(req, params) {
  const auth = req.headers.authorization || '';
  if (auth.startsWith('Basic ')) {
    const id = Buffer.from(auth.slice(6), 'base64').toString().split(':')[0];
    try { return decodeURIComponent(id); } catch { return '?'; }
  }
  if (params.get('client_id')) return params.get('client_id');
  if (params.get('client_assertion')) {
    try { return String(decodeJwt(params.get('client_assertion')).iss); } catch { return '?'; }
  }
  return '-';
}

function basicOrPost(req, params) {
  const auth = req.headers.authorization || '';
  if (auth.startsWith('Basic ')) {
    const [id, secret] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
    try { return [decodeURIComponent(id), decodeURIComponent(secret || '')]; } catch { return [null, null]; }
  }
  return [params.get('client_id'), params.get('client_secret')];
}

function sendJson(res, status, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

// --- introspection of JWTs and of peers' tokens ---------------------------------------------
// oidc-provider refuses to introspect structured (JWT) access tokens.  For JWTs, this shim
// authenticates the caller (client_secret_basic or _post against the static list), verifies the
// JWT against this instance's keys, or a peer's when iss names one of AS_PEERS, and answers
// RFC 7662.  Opaque tokens this instance does not know are asked of the peers (rs / rs-secret).
const localJwks = createLocalJWKSet({ keys: publicKeys });
const peerJwks = Object.fromEntries(PEERS.map((p) => [p, createRemoteJWKSet(new URL(`${p}/jwks`))]));

async function introspectJwt(token) {
  let iss;
  try { iss = decodeJwt(token).iss; } catch { return { active: false }; }
  const set = iss === ISSUER ? localJwks : peerJwks[iss];
  if (!set) return { active: false };
  try {
    const { payload, protectedHeader } = await jwtVerify(token, set, { issuer: iss });
    if (!['at+jwt', 'JWT'].includes(protectedHeader.typ)) return { active: false };
    return { active: true, token_type: 'Bearer', ...payload };
  } catch {
    return { active: false };
  }
}

async function introspectAtPeers(token) {
  for (const p of PEERS) {
    try {
      const r = await fetch(`${p}/token/introspection`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('rs:rs-secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token }).toString(),
      });
      const j = await r.json();
      if (j.active === true) return j;
    } catch { /* peer down: try the next */ }
  }
  return { active: false };
}

async function introspection(req, res, raw, params) {
  const token = params.get('token') || '';
  const isJwt = token.split('.').length === 3;
  const known = !isJwt && Boolean(await provider.ClientCredentials.find(token).catch(() => undefined));
  if (!isJwt && (known || PEERS.length === 0)) {
    req.body = raw; // oidc-provider reads the consumed body from req.body
    return cb(req, res);
  }
  const [id, secret] = basicOrPost(req, params);
  if (!id || secrets[id] === undefined || secrets[id] !== secret) {
    res.setHeader('WWW-Authenticate', 'Basic realm="introspection"');
    return sendJson(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' });
  }
  return sendJson(res, 200, isJwt ? await introspectJwt(token) : await introspectAtPeers(token));
}

async function handler(req, res) {
  const path = req.url.split('?')[0];
  // RFC 8414 path insertion for a path issuer: /.well-known/oauth-authorization-server/tenant
  if (PATH && env.AS_RFC8414 !== '0' && path === `/.well-known/oauth-authorization-server${PATH}`) {
    req.url = `${PATH}/.well-known/oauth-authorization-server`;
  }
  if (PATH) {
    if (!req.url.startsWith(`${PATH}/`)) {
      res.statusCode = 404;
      return res.end('not found\n');
    }
    req.originalUrl = req.url;
    req.url = req.url.slice(PATH.length);
  }
  const route = req.url.split('?')[0];
  if (req.method !== 'POST' || (route !== '/token' && route !== '/token/introspection')) return cb(req, res);

  let raw;
  try { raw = await readBody(req); } catch { return sendJson(res, 413, { error: 'invalid_request' }); }
  const params = new URLSearchParams(raw.toString('utf8'));
  const kind = route === '/token' ? 'token' : 'introspect';
  const caller = callerOf(req, params);
  // log before the response is complete, so a client that got its answer finds the line already
  // there (logging on 'finish' raced with tests that count requests right after the answer)
  const end = res.end.bind(res);
  let logged = false;
  res.end = (...args) => {
    if (!logged) {
      logged = true;
      logLine(`${NAME} ${kind} client=${caller} status=${res.statusCode}`);
    }
    return end(...args);
  };
  if (kind === 'introspect' && !env.AS_NO_SHIM) return introspection(req, res, raw, params);
  req.body = raw;
  return cb(req, res);
}

const server = https.createServer({
  cert: fs.readFileSync(`${DIR}/server.crt`),
  key: fs.readFileSync(`${DIR}/server.key`),
  ca: fs.readFileSync(`${DIR}/ca.crt`),
  requestCert: true, // for tls_client_auth; an absent or unknown certificate is judged per client
  rejectUnauthorized: false,
}, (req, res) => handler(req, res).catch((e) => {
  console.error('handler', e);
  if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
}));
server.listen(PORT, HOST, () => console.log(`${NAME} listening issuer=${ISSUER}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
