// Serves fixed JSON documents over HTTPS on loopback, for make check: the metadata and key sets
// that tests/tools/mint-as.mjs shaped like each vendor's (tests/integration/as_profiles.sh).
// Node built-ins only.
//
// Environment: STATIC_DIR (searched for routes.json files: {"/url/path": "/file.json"}),
// STATIC_CA (the as_setup_ca dir: server.crt, server.key), STATIC_PORT.
// GET a listed path: 200 application/json with the file; GET /ready: 200; anything else: 404.
// Each request is logged to stdout as "METHOD PATH STATUS".
import fs from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';

const env = process.env;
const routes = {};
function collect(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) collect(p);
    else if (e.name === 'routes.json') Object.assign(routes, JSON.parse(fs.readFileSync(p, 'utf8')));
  }
}
collect(env.STATIC_DIR);

const server = https.createServer(
  { cert: fs.readFileSync(join(env.STATIC_CA, 'server.crt')), key: fs.readFileSync(join(env.STATIC_CA, 'server.key')) },
  (req, res) => {
    const path = new URL(req.url, 'https://127.0.0.1').pathname;
    let status = 404;
    let body = '{"error":"not_found"}';
    if (req.method === 'GET' && path === '/ready') {
      status = 200;
      body = '{"ok":true}';
    } else if (req.method === 'GET' && Object.hasOwn(routes, path)) {
      status = 200;
      body = fs.readFileSync(routes[path]);
    }
    process.stdout.write(`${req.method} ${path} ${status}\n`);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=300' });
    res.end(body);
  },
);
server.listen(Number(env.STATIC_PORT), '127.0.0.1');
