// Mint RFC 9068 access tokens with Node's built-in node:crypto only (no npm packages): an
// implementation independent of ccauth and of tests/testutil.c, for interop positive controls.
//
// usage: node mint.mjs OUTDIR [ISS] [AUD] [SCOPE]
// writes OUTDIR/jwks.json (public keys with kids) and OUTDIR/ALG.jwt for every algorithm below,
// and OUTDIR/tokens.txt with one "ALG KID CLIENT_ID" line per token.
import { generateKeyPairSync, createPrivateKey, sign, constants, randomUUID } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [outdir, iss = 'https://as.interop.test/node', aud = 'urn:test:rs', scope = 'ldap.read'] =
  process.argv.slice(2);
if (!outdir) {
  process.stderr.write('usage: node mint.mjs OUTDIR [ISS] [AUD] [SCOPE]\n');
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });

// alg -> how to make its key and sign with it
const ALGS = [
  { alg: 'RS256', kind: 'rsa', md: 'sha256' },
  { alg: 'RS384', kind: 'rsa', md: 'sha384' },
  { alg: 'RS512', kind: 'rsa', md: 'sha512' },
  { alg: 'PS256', kind: 'rsa', md: 'sha256', pss: 32 },
  { alg: 'PS384', kind: 'rsa', md: 'sha384', pss: 48 },
  { alg: 'PS512', kind: 'rsa', md: 'sha512', pss: 64 },
  { alg: 'ES256', kind: 'ec', curve: 'P-256', md: 'sha256' },
  { alg: 'ES384', kind: 'ec', curve: 'P-384', md: 'sha384' },
  { alg: 'ES512', kind: 'ec', curve: 'P-521', md: 'sha512' },
  { alg: 'EdDSA', kind: 'ed25519', md: null },
];

const b64u = (buf) => Buffer.from(buf).toString('base64url');

const keys = [];
const lines = [];
const now = Math.floor(Date.now() / 1000);

for (const a of ALGS) {
  const kid = `node-${a.alg.toLowerCase()}`;
  let pair;
  if (a.kind === 'rsa') pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  else if (a.kind === 'ec') pair = generateKeyPairSync('ec', { namedCurve: a.curve });
  else pair = generateKeyPairSync('ed25519');

  // one key per alg, pinned with "alg" so a verifier must respect the pin
  const jwk = pair.publicKey.export({ format: 'jwk' });
  keys.push({ ...jwk, kid, use: 'sig', alg: a.alg });

  const clientId = `node-${a.alg.toLowerCase()}-client`;
  const header = { alg: a.alg, typ: 'at+jwt', kid };
  const payload = {
    iss,
    aud,
    sub: clientId,
    client_id: clientId,
    jti: randomUUID(),
    iat: now,
    exp: now + 3600,
    scope: `openid ${scope}`,
  };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;

  const key = { key: createPrivateKey(pair.privateKey.export({ format: 'pem', type: 'pkcs8' })) };
  if (a.pss) {
    key.padding = constants.RSA_PKCS1_PSS_PADDING;
    key.saltLength = a.pss;
  }
  if (a.kind === 'ec') key.dsaEncoding = 'ieee-p1363'; // JWS wants raw R||S, not DER
  const sig = sign(a.md, Buffer.from(input), key);

  writeFileSync(join(outdir, `${a.alg}.jwt`), `${input}.${b64u(sig)}\n`);
  lines.push(`${a.alg} ${kid} ${clientId}`);
}

writeFileSync(join(outdir, 'jwks.json'), JSON.stringify({ keys }, null, 1) + '\n', { mode: 0o644 });
writeFileSync(join(outdir, 'tokens.txt'), lines.join('\n') + '\n');
