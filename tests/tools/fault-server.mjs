// Fault server for make check: what a real AS cannot be made to do.  Node built-ins only.
// Started by tests/lib/as.sh fault_start; HTTPS with the test CA.
//
// Environment: FAULT_DIR (the as_setup_ca dir), FAULT_PORT (test-CA cert for 127.0.0.1),
//   FAULT_PORT_WRONGHOST (test-CA cert for another name), FAULT_PORT_UNKNOWNCA (cert from
//   another CA).  The same routes are served on every port.
//
// Routes (issuer of this server: https://127.0.0.1:FAULT_PORT):
//   GET  /stats                     request counters per path: {"/jwks": 3, ...}
//   GET  /ok[?max_age=N]            200 {"ok":true}, Cache-Control max-age=N when given
//   *    /500                       500 with a JSON body
//   GET  /slow?s=N                  waits N seconds (default 10), then 200 {"ok":true}
//   GET  /garbage                   200 application/json, not JSON
//   GET  /wrong-type                200 text/html with a JSON body
//   GET  /big  /big-chunked         200 application/json, 10 MiB (with / without Content-Length)
//   GET  /redirect                  302 to /ok
//   POST /401                       401 {"error":"invalid_client"}
//   POST /answer/STATUS/SHAPE       status STATUS with a body of SHAPE (see ANSWERS): the status x
//                                   body table of token and introspection endpoints
//   GET  /.well-known/oauth-authorization-server[/PATH], GET [/PATH]/.well-known/openid-configuration
//        metadata: PATH "" (RFC 8414 and OIDC), "oidc-only" (OIDC form only), "mismatch" (issuer
//        names another path), "http-jwks" (jwks_uri is http://), "no-jwks" (no jwks_uri),
//        "skewed" (a Date header 200 s ahead of the clock);
//        PATH one of 500 slow garbage wrong-type big big-chunked redirect: that fault instead
//   GET  /jwks                      current keys (ES256 kid k1, k2, ...); 503 while down
//   POST /rotate[?keep=1]           new key with the next kid (keep=1 also keeps the old one)
//   POST /token-slow?s=N            after N seconds, a token response with a JWT of the current
//                                   key for client service-a (aud urn:test:pam); with fail=1 a 503
//   POST /rekey                     new key material under the current kid (a botched rotation)
//   POST /jwks-down?on=1|0          toggle JWKS availability
//   POST /jwks-max-age?s=N          Cache-Control max-age of /jwks (default 300)
//   POST /jwks-slow?s=N             /jwks answers only after N seconds (0: at once)
//   GET  /stall                     headers and half a JSON body, then nothing (a discovery
//                                   fault mode too: https://127.0.0.1:PORT/stall)
//   POST /sign                      body: JSON claims; answers a compact ES256 JWS with the
//                                   current key (typ at+jwt); ?kid=X signs with an older key
//   POST /reset-stats
import fs from 'node:fs';
import https from 'node:https';
import crypto from 'node:crypto';

const env = process.env;
const DIR = env.FAULT_DIR;
const PORT = Number(env.FAULT_PORT);
const ISSUER = `https://127.0.0.1:${PORT}`;
const read = (f) => fs.readFileSync(`${DIR}/${f}`);

const stats = {};
let keys = [];
let kidSeq = 0;
let jwksDown = false;
let jwksMaxAge = 300;
let jwksSlow = 0;

function newKey(reuseKid) {
  if (!reuseKid) kidSeq += 1;
  const kid = reuseKid || `k${kidSeq}`;
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}
keys.push(newKey());

const b64u = (b) => Buffer.from(b).toString('base64url');

function sign(claims, kid) {
  const k = kid ? keys.find((x) => x.kid === kid) : keys[keys.length - 1];
  if (!k) return null;
  const input = `${b64u(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: k.kid }))}.${b64u(JSON.stringify(claims))}`;
  const sig = crypto.sign('sha256', Buffer.from(input), { key: k.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64u(sig)}`;
}

function metadata(path) {
  const iss = path ? `${ISSUER}/${path}` : ISSUER;
  const doc = {
    issuer: path === 'mismatch' ? `${ISSUER}/other` : iss,
    token_endpoint: `${ISSUER}/token`,
    jwks_uri: `${ISSUER}/jwks`,
    introspection_endpoint: `${ISSUER}/introspect`,
    grant_types_supported: ['client_credentials'],
  };
  if (path === 'http-jwks') doc.jwks_uri = `http://127.0.0.1:${PORT}/jwks`;
  if (path === 'no-jwks') delete doc.jwks_uri;
  return doc;
}
// Body shapes for /answer/STATUS/SHAPE: [content type, body]; null content type: no header.
const ANSWERS = {
  empty: [null, ''],
  html: ['text/html; charset=utf-8', '<html><body><h1>403 Forbidden</h1></body></html>'],
  text: ['text/plain', 'Unauthorized'],
  'json-error': ['application/json', '{"error":"invalid_client","error_description":"no such client"}'],
  'json-no-error': ['application/json', '{"message":"Unauthorized"}'],
  'json-array': ['application/json', '["error"]'],
  garbage: ['application/json', '{"error": \u0001 not json'],
  token: ['application/json', '{"access_token":"fault-token-1","token_type":"Bearer","expires_in":3599}'],
  'token-exp-string': ['application/json', '{"access_token":"fault-token-2","token_type":"Bearer","expires_in":"3599"}'],
  inactive: ['application/json', '{"active":false}'],
};
const FAULT_MODES = new Set(['500', 'slow', 'stall', 'garbage', 'wrong-type', 'big', 'big-chunked', 'redirect']);
const META_PATHS = new Set(['', 'oidc-only', 'mismatch', 'http-jwks', 'no-jwks', 'skewed']);
const skew = (path) => (path === 'skewed' ? { Date: new Date(Date.now() + 200000).toUTCString() } : {});

function json(res, status, body, headers = {}) {
  const s = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(s), ...headers });
  res.end(s);
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

function bigBody(res, withLength) {
  const total = 10 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const headers = { 'Content-Type': 'application/json' };
  if (withLength) headers['Content-Length'] = total;
  res.writeHead(200, headers);
  let sent = 0;
  const more = () => {
    while (sent < total) {
      sent += chunk.length;
      if (!res.write(chunk)) return res.once('drain', more);
    }
    return res.end();
  };
  res.on('close', () => { sent = total; });
  more();
}

async function handler(req, res) {
  const url = new URL(req.url, ISSUER);
  let p = url.pathname;
  const q = url.searchParams;
  if (p !== '/stats') stats[p] = (stats[p] || 0) + 1;
  // a fault mode as an issuer path: both discovery URLs of https://127.0.0.1:PORT/MODE misbehave
  const fm = p.match(/^\/\.well-known\/oauth-authorization-server\/([a-z0-9-]+)$/)
    || p.match(/^\/([a-z0-9-]+)\/\.well-known\/openid-configuration$/);
  if (fm && FAULT_MODES.has(fm[1])) p = `/${fm[1]}`;

  if (p === '/500') return json(res, 500, { error: 'server_error' });
  if (req.method === 'GET') {
    if (p === '/stats') return json(res, 200, stats);
    if (p === '/ok') {
      const h = q.has('max_age') ? { 'Cache-Control': `max-age=${q.get('max_age')}` } : {};
      return json(res, 200, { ok: true }, h);
    }
    if (p === '/slow') {
      const t = setTimeout(() => json(res, 200, { ok: true }), Number(q.get('s') || 10) * 1000);
      res.on('close', () => clearTimeout(t));
      return undefined;
    }
    if (p === '/stall') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"issuer":');
      return undefined;
    }
    if (p === '/garbage') return json(res, 200, '{"issuer": \u0001\u0002 this is not json');
    if (p === '/wrong-type') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end('{"ok":true}');
    }
    if (p === '/big') return bigBody(res, true);
    if (p === '/big-chunked') return bigBody(res, false);
    if (p === '/redirect') {
      res.writeHead(302, { Location: `${ISSUER}/ok`, 'Content-Type': 'application/json' });
      return res.end('{}');
    }
    if (p === '/jwks') {
      if (jwksDown) return json(res, 503, { error: 'temporarily_unavailable' });
      const send = () => json(res, 200, { keys: keys.map((k) => k.jwk) }, { 'Cache-Control': `max-age=${jwksMaxAge}` });
      if (jwksSlow > 0) {
        const t = setTimeout(send, jwksSlow * 1000);
        res.on('close', () => clearTimeout(t));
        return undefined;
      }
      return send();
    }
    let m = p.match(/^\/\.well-known\/oauth-authorization-server(?:\/(.*))?$/);
    if (m && META_PATHS.has(m[1] || '') && m[1] !== 'oidc-only') return json(res, 200, metadata(m[1] || ''), skew(m[1]));
    m = p.match(/^(?:\/(.*))?\/\.well-known\/openid-configuration$/);
    if (m && META_PATHS.has(m[1] || '')) return json(res, 200, metadata(m[1] || ''), { 'Cache-Control': 'max-age=120', ...skew(m[1]) });
  } else if (req.method === 'POST') {
    const body = await readBody(req);
    const am = p.match(/^\/answer\/(\d{3})\/([a-z-]+)$/);
    if (am && ANSWERS[am[2]]) {
      const [ct, b] = ANSWERS[am[2]];
      const h = { 'Content-Length': Buffer.byteLength(b) };
      if (ct) h['Content-Type'] = ct;
      if (am[1] === '429') h['Retry-After'] = '1';
      res.writeHead(Number(am[1]), h);
      return res.end(b);
    }
    if (p === '/401') return json(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' });
    // an AS that quotes the request in its error: the client must not repeat it in a message
    // (?as_sent=1: the token parameter as it travelled, still form-encoded)
    if (p === '/echo-token-401') {
      const t = q.get('as_sent') === '1'
        ? (body.split('&').find((x) => x.startsWith('token=')) || '').slice(6)
        : new URLSearchParams(body).get('token') || '';
      return json(res, 401, { error: 'invalid_client', error_description: `bad request for ${t}` });
    }
    if (p === '/echo-auth-401') {
      const a = req.headers.authorization || '';
      return json(res, 401, { error: 'invalid_client', error_description: `bad ${a}` });
    }
    // ... or our client secret as it reads it: form-decoded, or out of the Basic credentials
    if (p === '/echo-secret-401') {
      const a = req.headers.authorization || '';
      let s = new URLSearchParams(body).get('client_secret') || '';
      if (a.startsWith('Basic ')) {
        const d = Buffer.from(a.slice(6), 'base64').toString();
        s = decodeURIComponent(d.slice(d.indexOf(':') + 1));
      }
      return json(res, 401, { error: 'invalid_client', error_description: `wrong secret ${s}` });
    }
    if (p === '/rotate') {
      const k = newKey();
      keys = q.get('keep') === '1' ? [...keys, k] : [k];
      return json(res, 200, { kid: k.kid });
    }
    if (p === '/token-slow') {
      const now = Math.floor(Date.now() / 1000);
      const at = sign({ iss: ISSUER, sub: 'service-a', client_id: 'service-a', aud: 'urn:test:pam', iat: now, exp: now + 300 });
      const t = setTimeout(() => (q.get('fail') === '1'
        ? json(res, 503, { error: 'temporarily_unavailable' })
        : json(res, 200, { access_token: at, token_type: 'Bearer', expires_in: 300 })),
      Number(q.get('s') || 1) * 1000);
      res.on('close', () => clearTimeout(t));
      return undefined;
    }
    if (p === '/rekey') {
      const k = newKey(keys[keys.length - 1].kid);
      keys = [...keys.slice(0, -1), k];
      return json(res, 200, { kid: k.kid });
    }
    if (p === '/jwks-down') {
      jwksDown = q.get('on') !== '0';
      return json(res, 200, { down: jwksDown });
    }
    if (p === '/jwks-slow') {
      jwksSlow = Number(q.get('s') || 0);
      return json(res, 200, { slow: jwksSlow });
    }
    if (p === '/jwks-max-age') {
      jwksMaxAge = Number(q.get('s') || 300);
      return json(res, 200, { max_age: jwksMaxAge });
    }
    if (p === '/reset-stats') {
      for (const k of Object.keys(stats)) delete stats[k];
      return json(res, 200, {});
    }
    if (p === '/sign') {
      let claims;
      try { claims = JSON.parse(body || '{}'); } catch { return json(res, 400, { error: 'invalid_request' }); }
      const t = sign(claims, q.get('kid'));
      if (!t) return json(res, 400, { error: 'unknown kid' });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return res.end(t);
    }
  }
  return json(res, 404, { error: 'not_found' });
}

const servers = [];
function serve(port, cert, key) {
  if (!port) return;
  const s = https.createServer({ cert: read(cert), key: read(key) }, (req, res) => handler(req, res).catch((e) => {
    console.error(e);
    if (!res.headersSent) json(res, 500, { error: 'server_error' });
  }));
  s.listen(Number(port), '127.0.0.1');
  servers.push(s);
}
serve(PORT, 'server.crt', 'server.key');
serve(env.FAULT_PORT_WRONGHOST, 'wronghost.crt', 'wronghost.key');
serve(env.FAULT_PORT_UNKNOWNCA, 'unknownca.crt', 'unknownca.key');
console.log(`fault server ${ISSUER}`);
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    for (const s of servers) { s.closeAllConnections(); s.close(); }
    process.exit(0);
  });
}
