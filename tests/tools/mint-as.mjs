// Mint vendor-shaped fixtures for one authorization server profile, at test time, with Node's
// built-in node:crypto and the openssl command (for the X.509 certificate behind x5c/x5t): no npm
// package, and nothing from ccauth itself, so the fixtures are an independent positive control.
//
// usage: node mint-as.mjs FIXTURE_DIR OUT_DIR [BASE]
//
// With BASE (https://127.0.0.1:PORT), every https://HOST in the fixture becomes BASE/HOST, and
// OUT_DIR/routes.json maps the URL paths of each issuer's metadata (ISSUER/.well-known/
// openid-configuration) and of its jwks_uri to the files written, for static-server.mjs: the
// same shapes, served on loopback, reached by discovery.
//
// FIXTURE_DIR/as.json describes the server:
//   "key":       {"kid": "x5t" | "thumbprint" | LITERAL, "jwk": TEMPLATE}  the signing key
//   "decoys":    [TEMPLATE, ...]    more JWKS entries, each with its own fresh key (other kids,
//                                    encryption keys): the validator must pick the right one
//   "issuers":   {NAME: {"discovery": OBJECT}, ...}  one metadata document per issuer
// FIXTURE_DIR/tokens.json holds {"tokens": {NAME: {"header": TEMPLATE, "payload": TEMPLATE}}}; a
// near miss may instead say {"like": OTHER, "set": {CLAIM: VALUE}, "unset": [CLAIM], "header_set":
// {...}}: OTHER's header and payload with those claims changed (order kept, new ones appended).
// Templates are JSON in which these strings are replaced: "@kid" "@kty" "@n" "@e" "@x5t"
// "@x5t#S256" "@x5c" (the certificate, DER in standard base64) and "@now", "@now+N", "@now-N"
// (integers).  Member order is kept, so headers and payloads look like the vendor's.
//
// Writes OUT_DIR/jwks.json, OUT_DIR/NAME.openid-configuration.json per issuer and OUT_DIR/NAME.jwt
// per token (all RS256, the only algorithm these six servers use by default).
import { generateKeyPairSync, createHash, sign, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const [fixdir, outdir, base] = process.argv.slice(2);
if (!fixdir || !outdir) {
  process.stderr.write('usage: node mint-as.mjs FIXTURE_DIR OUT_DIR [BASE]\n');
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });
const rebase = (text) => (base ? text.replace(/https:\/\/([A-Za-z0-9.-]+)/g, `${base}/$1`) : text);
const readFixture = (name) => JSON.parse(rebase(readFileSync(join(fixdir, name), 'utf8')));
const as = readFixture('as.json');
const tokens = readFixture('tokens.json').tokens;
const now = Math.floor(Date.now() / 1000);
const b64u = (buf) => Buffer.from(buf).toString('base64url');

// A fresh RSA key and a self-signed certificate for it (openssl: Node cannot issue certificates).
function newKey(cn) {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const tmp = mkdtempSync(join(tmpdir(), 'mint-as-'));
  try {
    const keyPem = join(tmp, 'key.pem');
    writeFileSync(keyPem, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const certPem = execFileSync('openssl', ['req', '-x509', '-new', '-key', keyPem, '-subj', `/CN=${cn}`,
      '-days', '2', '-sha256'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const cert = new X509Certificate(certPem);
    const jwk = pair.publicKey.export({ format: 'jwk' });
    // RFC 7638 thumbprint: the required RSA members in lexicographic order, no whitespace
    const thumb = b64u(createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n })).digest());
    return {
      privateKey: pair.privateKey,
      vars: {
        '@kty': 'RSA', '@n': jwk.n, '@e': jwk.e,
        '@x5c': cert.raw.toString('base64'),
        '@x5t': b64u(createHash('sha1').update(cert.raw).digest()),
        '@x5t#S256': b64u(createHash('sha256').update(cert.raw).digest()),
        '@thumbprint': thumb,
      },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function withKid(key, spec) {
  const kid = spec === 'x5t' ? key.vars['@x5t'] : spec === 'thumbprint' ? key.vars['@thumbprint'] : spec;
  key.vars['@kid'] = kid;
  return key;
}

function fill(tpl, vars) {
  if (Array.isArray(tpl)) return tpl.map((v) => fill(v, vars));
  if (tpl && typeof tpl === 'object') {
    const o = {};
    for (const [k, v] of Object.entries(tpl)) o[k] = fill(v, vars);
    return o;
  }
  if (typeof tpl === 'string') {
    const t = /^@now(?:([+-])(\d+))?$/.exec(tpl);
    if (t) return t[1] === '-' ? now - Number(t[2]) : now + Number(t[2] || 0);
    if (Object.hasOwn(vars, tpl)) return vars[tpl];
  }
  return tpl;
}

const signing = withKid(newKey('ccauth test signing key'), as.key.kid);
const keys = [fill(as.key.jwk, signing.vars)];
for (const [i, d] of (as.decoys || []).entries()) {
  const k = withKid(newKey(`ccauth test decoy ${i}`), d.kid);
  keys.push(fill(d.jwk, k.vars));
}
writeFileSync(join(outdir, 'jwks.json'), JSON.stringify({ keys }, null, 1) + '\n');

const routes = {};
const pathOf = (url) => new URL(url).pathname;
for (const [name, iss] of Object.entries(as.issuers || {})) {
  const file = join(outdir, `${name}.openid-configuration.json`);
  writeFileSync(file, JSON.stringify(iss.discovery, null, 1) + '\n');
  routes[`${pathOf(iss.discovery.issuer).replace(/\/$/, '')}/.well-known/openid-configuration`] = file;
  routes[pathOf(iss.discovery.jwks_uri)] = join(outdir, 'jwks.json');
}
if (base) writeFileSync(join(outdir, 'routes.json'), JSON.stringify(routes, null, 1) + '\n');

function resolve(name, depth = 0) {
  const t = tokens[name];
  if (!t || depth > 4) throw new Error(`tokens.json: no token ${name}`);
  if (!t.like) return { header: t.header, payload: t.payload };
  const base = resolve(t.like, depth + 1);
  const payload = { ...base.payload, ...(t.set || {}) };
  for (const c of t.unset || []) delete payload[c];
  return { header: { ...base.header, ...(t.header_set || {}) }, payload };
}

for (const name of Object.keys(tokens)) {
  const t = resolve(name);
  const header = fill(t.header, signing.vars);
  const payload = fill(t.payload, signing.vars);
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const sig = sign('sha256', Buffer.from(input), signing.privateKey);
  writeFileSync(join(outdir, `${name}.jwt`), `${input}.${b64u(sig)}\n`);
}
