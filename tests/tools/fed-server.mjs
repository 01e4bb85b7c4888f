// Federation test endpoint for make check: machines without stored secrets.  What no single real
// server here can do at once: issue workload identities the way platforms do, and accept them at
// an authorization server that checks every parameter exactly.  Node built-ins and jose only;
// started by tests/lib/fed.sh; HTTPS with the test CA of tests/lib/as.sh.
//
// Environment: FED_DIR (the as_setup_ca dir: server.crt, server.key), FED_PORT, FED_LOG (request
//   log, one line per request, never a credential), FED_TOKEN_TTL (issued tokens, default 600).
//
// Workload issuers (each with discovery and its own JWKS, fetched back over HTTPS to verify):
//   /k8s     a Kubernetes service-account issuer.  POST /k8s/mint {sub, aud, ttl, exp, iss, kid}
//            answers a projected-token-like JWT (the test writes it to a file, like the kubelet)
//   /spiffe  a SPIFFE trust domain example.org: GET /spiffe/bundle (keys with use jwt-svid);
//            POST /spiffe/mint {sub, aud, ttl} answers a JWT-SVID (no iss, as SPIRE may omit it)
//   /gha     a GitHub-Actions-like OIDC issuer.  GET /gha/id-token?...&audience=A with
//            "Authorization: bearer REQ" answers {"count":1,"value":JWT} with aud A
//            (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect);
//            REQ "gha-req-500" answers 500, "gha-req-garbage" not JSON, "gha-req-novalue" {},
//            anything but FED_GHA_REQ (default gha-req-not-secret) 401.
// The authorization server, issuer https://127.0.0.1:PORT/as (RFC 8414 and OIDC discovery,
//   GET /as/jwks with the ES256 key that signs its access tokens, typ at+jwt):
//   POST /as/token
//     grant_type=client_credentials with a client assertion only (RFC 7523 §2.2; the SPIFFE type
//       of draft-ietf-oauth-spiffe-client-auth): client_assertion_type and client_assertion,
//       client_id optional unless the federation says so; no client_secret, no Authorization.
//     grant_type=urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693 §2.1): subject_token,
//       subject_token_type, requested_token_type, audience, resource, scope; client
//       authentication exactly as the exchange entry says (none, or Basic exchanger:exchanger-secret).
//     Every parameter is checked against a table: unknown or repeated parameters, a secret where
//     none belongs, a request without the required client authentication: 400/401 answers.
//   GET /log    the request log as a JSON array;  POST /reset  clears it
import fs from 'node:fs';
import https from 'node:https';
import crypto from 'node:crypto';
import { SignJWT, jwtVerify, createLocalJWKSet, decodeJwt, decodeProtectedHeader } from 'jose';

const env = process.env;
const DIR = env.FED_DIR;
const PORT = Number(env.FED_PORT);
const BASE = `https://127.0.0.1:${PORT}`;
const AS = `${BASE}/as`;
const K8S = `${BASE}/k8s`;
const GHA = `${BASE}/gha`;
const TTL = Number(env.FED_TOKEN_TTL || 600);
const GHA_REQ = env.FED_GHA_REQ || 'gha-req-not-secret';
const MAX_BODY = 64 * 1024;
const LEEWAY = 5;

const URN = {
  jwtBearer: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  jwtSpiffe: 'urn:ietf:params:oauth:client-assertion-type:jwt-spiffe',
  exchange: 'urn:ietf:params:oauth:grant-type:token-exchange',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
};

// Who may log in with what (what the AS "must be told"): a federated credential per client.
const FEDERATIONS = [
  // Entra-like: the client_id is sent, the assertion's aud is the fixed exchange audience
  { client_id: 'app-entra', type: URN.jwtBearer, iss: K8S, sub: 'system:serviceaccount:apps:ldap-writer',
    aud: 'api://AzureADTokenExchange', client_id_param: 'required' },
  // Keycloak-like: the realm's issuer is the audience; client_id may be sent
  { client_id: 'app-keycloak', type: URN.jwtBearer, iss: K8S, sub: 'system:serviceaccount:apps:ldap-reader',
    aud: AS, client_id_param: 'optional' },
  // SPIFFE: the trust domain's bundle verifies the JWT-SVID; iss is not part of it
  { client_id: 'app-spiffe', type: URN.jwtSpiffe, trust_domain: 'example.org', sub: 'spiffe://example.org/ns/apps/sa/mailer',
    aud: AS, client_id_param: 'optional' },
  // a GitHub Actions job of one repository and branch
  { client_id: 'app-gha', type: URN.jwtBearer, iss: GHA, sub: 'repo:example/infra:ref:refs/heads/main',
    aud: AS, client_id_param: 'optional' },
];
// RFC 8693 exchanges by their audience parameter
const EXCHANGES = [
  // Google-STS-like: no client authentication, requested_token_type required, the subject
  // token's aud is the provider's own URL
  { audience: '//sts.test/projects/1/pools/p/providers/k8s', subject_iss: K8S,
    subject_aud: 'https://sts.test/projects/1/pools/p/providers/k8s', subject_sub: 'system:serviceaccount:apps:ldap-writer',
    types: [URN.jwt, URN.idToken], requested_required: true, client_auth: 'none', client_id: 'sts-k8s' },
  // an AS that wants the exchanging client authenticated (client_secret_basic)
  { audience: 'urn:test:ldap', subject_iss: GHA, subject_aud: AS, subject_sub: 'repo:example/infra:ref:refs/heads/main',
    types: [URN.jwt], requested_required: false, client_auth: 'basic', client_id: 'exchanger' },
  // nonsense answers for the client's issued_token_type check
  { audience: 'urn:test:wrong-issued-type', subject_iss: K8S, subject_aud: AS, subject_sub: null,
    types: [URN.jwt], requested_required: false, client_auth: 'none', client_id: 'sts-k8s', issued: URN.idToken },
  { audience: 'urn:test:no-issued-type', subject_iss: K8S, subject_aud: AS, subject_sub: null,
    types: [URN.jwt], requested_required: false, client_auth: 'none', client_id: 'sts-k8s', issued: null },
];
const EXCHANGER_SECRET = 'exchanger-secret';

// ---- keys -------------------------------------------------------------------------------------
function newKey(kid, alg = 'ES256', use = 'sig') {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use };
  if (use === 'sig') jwk.alg = alg;
  return { kid, alg, privateKey, jwk };
}
const keys = {
  k8s: [newKey('k8s-1')],
  gha: [newKey('gha-1')],
  spiffe: [newKey('spiffe-1', 'ES256', 'jwt-svid')],
  as: [newKey('as-1')],
};
const jwksOf = (name) => ({ keys: keys[name].map((k) => k.jwk) });

async function sign(name, claims, header = {}) {
  const k = keys[name][0];
  return new SignJWT(claims).setProtectedHeader({ alg: k.alg, kid: k.kid, typ: 'JWT', ...header }).sign(k.privateKey);
}

// keys are fetched back over HTTPS as a relying party would (NODE_EXTRA_CA_CERTS has the test CA)
async function remoteKeys(url, spiffe) {
  const r = await fetch(url);
  if (r.status !== 200) throw new Error(`JWKS ${url}: ${r.status}`);
  const set = await r.json();
  // a SPIFFE bundle marks JWT keys use=jwt-svid; jose selects only use=sig or none
  if (spiffe) set.keys = set.keys.filter((k) => k.use === 'jwt-svid').map(({ use, ...k }) => ({ ...k, alg: 'ES256' }));
  return createLocalJWKSet(set);
}

// ---- request log --------------------------------------------------------------------------------
const logLines = [];
function logLine(line) {
  logLines.push(line);
  if (env.FED_LOG) fs.appendFileSync(env.FED_LOG, `${line}\n`);
}
// a JWT in the log: its size, fingerprint (first 8 bytes of SHA-256, hex, as ccauth logs them) and
// where it came from, never its text
const fpr = (t) => crypto.createHash('sha256').update(t).digest('hex').slice(0, 16);
function elide(t) {
  try {
    const c = decodeJwt(t);
    const aud = Array.isArray(c.aud) ? c.aud.join('|') : c.aud;
    const left = typeof c.exp === 'number' ? c.exp - Math.floor(Date.now() / 1000) : 'none';
    return `<JWT ${t.length} bytes fpr=${fpr(t)}: iss=${c.iss ?? '-'} sub=${c.sub ?? '-'} aud=${aud ?? '-'} exp_in=${left}s>`;
  } catch {
    return `<${t.length} bytes fpr=${fpr(t)}, not a JWT>`;
  }
}
const SECRET_PARAMS = new Set(['client_assertion', 'subject_token', 'actor_token', 'client_secret']);
function describeParams(params) {
  return [...params.entries()].map(([k, v]) => (SECRET_PARAMS.has(k) ? `${k}=${elide(v)}` : `${k}=${v}`)).join(' ');
}
function describeAuth(req) {
  const a = req.headers.authorization;
  if (!a) return 'none';
  const [scheme, rest = ''] = a.split(' ');
  if (/^basic$/i.test(scheme)) return `Basic(${Buffer.from(rest, 'base64').toString().split(':')[0]}:<elided>)`;
  return `${scheme}(<elided>)`;
}

// ---- HTTP helpers ---------------------------------------------------------------------------------
class OAuthError extends Error {
  constructor(status, error, description) {
    super(description);
    this.status = status;
    this.error = error;
  }
}
const bad = (d) => new OAuthError(400, 'invalid_request', d);
const denied = (d) => new OAuthError(401, 'invalid_client', d);
const grantErr = (d) => new OAuthError(400, 'invalid_grant', d);

function json(res, status, body, headers = {}) {
  const s = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(s), ...headers });
  res.end(s);
}

async function readBody(req) {
  const chunks = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > MAX_BODY) throw bad('body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// strict form: each parameter once, only those allowed
function form(body, allowed) {
  const params = new URLSearchParams(body);
  const seen = new Set();
  for (const [k] of params) {
    if (seen.has(k)) throw bad(`parameter ${k} repeated`);
    seen.add(k);
    if (!allowed.has(k)) throw bad(`unexpected parameter ${k}`);
  }
  return params;
}

const now = () => Math.floor(Date.now() / 1000);

// ---- checks ---------------------------------------------------------------------------------------
async function verifyWorkloadJwt(token, { iss, aud, sub, spiffeDomain, what }) {
  let header;
  try {
    header = decodeProtectedHeader(token);
    decodeJwt(token);
  } catch {
    throw grantErr(`${what} is not a JWT`);
  }
  if (header.alg !== 'ES256') throw grantErr(`${what}: alg ${header.alg} not allowed`);
  const set = spiffeDomain
    ? await remoteKeys(`${BASE}/spiffe/bundle`, true)
    : await remoteKeys(`${iss}/jwks`, false);
  let payload;
  try {
    ({ payload } = await jwtVerify(token, set, {
      algorithms: ['ES256'],
      ...(spiffeDomain ? {} : { issuer: iss }),
      audience: aud,
      clockTolerance: LEEWAY,
      requiredClaims: ['sub', 'aud', 'exp'],
    }));
  } catch (e) {
    throw grantErr(`${what}: ${e.code || 'invalid'}: ${e.message}`);
  }
  // the audience must be exactly the one expected and nothing else (RFC 10070 for client auth)
  const auds = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (auds.length !== 1) throw grantErr(`${what}: aud must be the single value ${aud}`);
  if (spiffeDomain && !String(payload.sub).startsWith(`spiffe://${spiffeDomain}/`)) throw grantErr(`${what}: sub outside trust domain`);
  if (sub !== null && sub !== undefined && payload.sub !== sub) throw grantErr(`${what}: sub ${payload.sub} not federated`);
  return payload;
}

// client authentication by a federated assertion: returns the client_id
async function assertionAuth(req, params) {
  const type = params.get('client_assertion_type');
  const assertion = params.get('client_assertion');
  if (req.headers.authorization) throw bad('an Authorization header together with a client assertion');
  if (params.has('client_secret')) throw bad('client_secret together with a client assertion');
  if (!type || !assertion) throw denied('client_assertion_type and client_assertion are both required');
  if (type !== URN.jwtBearer && type !== URN.jwtSpiffe) throw bad(`unknown client_assertion_type ${type}`);
  let claims;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw denied('client_assertion is not a JWT');
  }
  const fed = FEDERATIONS.find((f) => f.type === type && f.sub === claims.sub && (type === URN.jwtSpiffe || f.iss === claims.iss));
  if (!fed) throw denied(`no federated credential for this ${type === URN.jwtSpiffe ? 'SPIFFE ID' : 'iss/sub'}`);
  const cid = params.get('client_id');
  if (fed.client_id_param === 'required' && cid === null) throw denied('client_id is required');
  if (cid !== null && cid !== fed.client_id) throw denied('client_id does not match the assertion');
  try {
    await verifyWorkloadJwt(assertion, { iss: fed.iss, aud: fed.aud, sub: fed.sub, spiffeDomain: fed.trust_domain, what: 'client_assertion' });
  } catch (e) {
    throw denied(e.message);
  }
  return fed.client_id;
}

function basicAuth(req) {
  const a = req.headers.authorization || '';
  const m = a.match(/^Basic ([A-Za-z0-9+/=]+)$/i);
  if (!m) return null;
  const d = Buffer.from(m[1], 'base64').toString();
  const i = d.indexOf(':');
  if (i < 0) return null;
  return [decodeURIComponent(d.slice(0, i)), decodeURIComponent(d.slice(i + 1))];
}

// the answer of a granted request, not yet sent (the caller logs the request first)
async function issue({ client_id, sub, aud, scope, issued = URN.accessToken, withIssuedType = true }) {
  const k = keys.as[0];
  const iat = now();
  const claims = { iss: AS, sub, aud, client_id, iat, exp: iat + TTL, jti: crypto.randomUUID() };
  if (scope) claims.scope = scope;
  const at = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: k.kid, typ: 'at+jwt' }).sign(k.privateKey);
  const body = { access_token: at, token_type: 'Bearer', expires_in: TTL };
  if (scope) body.scope = scope;
  if (withIssuedType && issued) body.issued_token_type = issued;
  return { client: client_id, body };
}

const CC_PARAMS = new Set(['grant_type', 'scope', 'resource', 'audience', 'client_id', 'client_assertion_type', 'client_assertion', 'client_secret']);
const TX_PARAMS = new Set(['grant_type', 'subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource',
  'scope', 'client_id', 'client_assertion_type', 'client_assertion', 'client_secret']);

async function token(req, body) {
  if (!/^application\/x-www-form-urlencoded\b/.test(req.headers['content-type'] || '')) throw bad('not form-encoded');
  const grant = new URLSearchParams(body).get('grant_type');
  if (grant === 'client_credentials') {
    const params = form(body, CC_PARAMS);
    // never a token for a request without client authentication
    const client = await assertionAuth(req, params);
    const resource = params.get('resource');
    return issue({ client_id: client, sub: client, aud: resource || 'urn:test:ldap', scope: params.get('scope'), withIssuedType: false });
  }
  if (grant === URN.exchange) {
    const params = form(body, TX_PARAMS);
    const audience = params.get('audience');
    const ex = EXCHANGES.find((e) => e.audience === audience);
    if (!ex) throw new OAuthError(400, 'invalid_target', 'unknown audience');
    // client authentication exactly as configured for this exchange
    if (ex.client_auth === 'none') {
      if (req.headers.authorization || params.has('client_secret') || params.has('client_assertion') || params.has('client_id')) {
        throw bad('this exchange takes no client authentication');
      }
    } else {
      const cred = basicAuth(req);
      if (!cred || cred[0] !== ex.client_id || cred[1] !== EXCHANGER_SECRET) throw denied('client authentication failed');
      if (params.has('client_secret') || params.has('client_assertion')) throw bad('two client authentication methods');
    }
    const st = params.get('subject_token');
    const stt = params.get('subject_token_type');
    if (!st || !stt) throw bad('subject_token and subject_token_type are required');
    if (!ex.types.includes(stt)) throw bad(`subject_token_type ${stt} not accepted`);
    const rtt = params.get('requested_token_type');
    if (ex.requested_required && rtt === null) throw bad('requested_token_type is required');
    if (rtt !== null && rtt !== URN.accessToken) throw bad(`requested_token_type ${rtt} not supported`);
    const subj = await verifyWorkloadJwt(st, { iss: ex.subject_iss, aud: ex.subject_aud, sub: ex.subject_sub, what: 'subject_token' });
    return issue({
      client_id: ex.client_id,
      sub: subj.sub,
      aud: params.get('resource') || 'urn:test:ldap',
      scope: params.get('scope'),
      issued: ex.issued === undefined ? URN.accessToken : ex.issued,
      withIssuedType: ex.issued !== null,
    });
  }
  throw new OAuthError(400, 'unsupported_grant_type', 'grant_type');
}

function metadata() {
  return {
    issuer: AS,
    token_endpoint: `${AS}/token`,
    jwks_uri: `${AS}/jwks`,
    grant_types_supported: ['client_credentials', URN.exchange],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic'],
  };
}
const issuerMeta = (iss) => ({ issuer: iss, jwks_uri: `${iss}/jwks`, id_token_signing_alg_values_supported: ['ES256'] });

async function mint(name, iss, body) {
  let p;
  try { p = JSON.parse(body || '{}'); } catch { throw bad('mint: JSON'); }
  const t = now();
  const claims = { sub: p.sub, aud: p.aud, iat: t, nbf: t, exp: p.exp ?? t + (p.ttl ?? 3600) };
  if (iss) claims.iss = p.iss ?? iss;
  if (name === 'k8s') claims['kubernetes.io'] = { namespace: 'apps', serviceaccount: { name: String(p.sub).split(':').pop() } };
  if (name !== 'spiffe') claims.jti = crypto.randomUUID();
  return sign(name, claims, p.kid ? { kid: p.kid } : {});
}

async function handler(req, res) {
  const url = new URL(req.url, BASE);
  const p = url.pathname;
  if (req.method === 'GET') {
    if (p === '/log') return json(res, 200, logLines);
    if (p === '/as/.well-known/openid-configuration' || p === '/.well-known/oauth-authorization-server/as') return json(res, 200, metadata());
    if (p === '/as/jwks') return json(res, 200, jwksOf('as'));
    if (p === '/k8s/.well-known/openid-configuration') return json(res, 200, issuerMeta(K8S));
    if (p === '/k8s/jwks') return json(res, 200, jwksOf('k8s'));
    if (p === '/gha/.well-known/openid-configuration') return json(res, 200, issuerMeta(GHA));
    if (p === '/gha/jwks') return json(res, 200, jwksOf('gha'));
    if (p === '/spiffe/bundle') return json(res, 200, { ...jwksOf('spiffe'), spiffe_sequence: 1, spiffe_refresh_hint: 300 });
    if (p === '/gha/id-token') return ghaIdToken(req, res, url);
  } else if (req.method === 'POST') {
    const body = await readBody(req);
    if (p === '/reset') {
      logLines.length = 0;
      return json(res, 200, {});
    }
    if (p === '/k8s/mint' || p === '/gha/mint' || p === '/spiffe/mint') {
      const name = p.split('/')[1];
      const t = await mint(name, name === 'k8s' ? K8S : name === 'gha' ? GHA : null, body);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return res.end(t);
    }
    if (p === '/as/token') {
      const line = `token auth=${describeAuth(req)} ${describeParams(new URLSearchParams(body))}`;
      try {
        const answer = await token(req, body);
        // the line is in the log before the answer leaves: a test that counts lines right after
        // its request must see it
        logLine(`${line} -> 200 client=${answer.client}`);
        json(res, 200, answer.body);
      } catch (e) {
        if (!(e instanceof OAuthError)) throw e;
        logLine(`${line} -> ${e.status} ${e.error}: ${e.message}`);
        json(res, e.status, { error: e.error, error_description: e.message },
          e.status === 401 ? { 'WWW-Authenticate': 'Basic realm="fed"' } : {});
      }
      return undefined;
    }
  }
  return json(res, 404, { error: 'not_found' });
}

// GitHub Actions: GET ACTIONS_ID_TOKEN_REQUEST_URL&audience=A, Authorization: bearer REQ
async function ghaIdToken(req, res, url) {
  const auth = req.headers.authorization || '';
  const m = auth.match(/^bearer (.+)$/i);
  const params = [...url.searchParams.entries()].map(([k, v]) => `${k}=${v}`).join(' ');
  const line = `id-token auth=${m ? `${auth.split(' ')[0]}(<elided>)` : 'none'} ${params}`;
  const reqTok = m ? m[1] : null;
  const aud = url.searchParams.get('audience');
  // the answer is made first and logged before it leaves (a test counts lines right after it)
  let status = 200;
  let answer;
  if (reqTok === 'gha-req-500') {
    status = 500;
    answer = { message: 'internal error' };
  } else if (reqTok === 'gha-req-garbage') {
    answer = '{"value": \u0001 not json';
  } else if (reqTok === 'gha-req-novalue') {
    answer = { count: 0 };
  } else if (reqTok !== GHA_REQ || url.searchParams.get('api-version') !== '2.0' || url.searchParams.getAll('audience').length > 1) {
    status = reqTok !== GHA_REQ ? 401 : 400;
    answer = { message: 'bad request' };
  } else {
    const t = now();
    const claims = { iss: GHA, sub: 'repo:example/infra:ref:refs/heads/main', aud: aud ?? 'https://github.com/example',
      repository: 'example/infra', ref: 'refs/heads/main', iat: t, nbf: t, exp: t + 300, jti: crypto.randomUUID() };
    answer = { count: 1, value: await sign('gha', claims) };
  }
  logLine(`${line} -> ${status}`);
  if (typeof answer === 'string') {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(answer);
  } else {
    json(res, status, answer);
  }
}

const server = https.createServer({
  cert: fs.readFileSync(`${DIR}/server.crt`),
  key: fs.readFileSync(`${DIR}/server.key`),
}, (req, res) => handler(req, res).catch((e) => {
  if (e instanceof OAuthError) return json(res, e.status, { error: e.error, error_description: e.message });
  console.error('handler', e);
  if (!res.headersSent) json(res, 500, { error: 'server_error' });
  return undefined;
}));
server.listen(PORT, '127.0.0.1', () => console.log(`fed server ${BASE}`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
