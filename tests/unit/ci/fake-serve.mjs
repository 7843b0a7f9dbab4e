// A stand-in for `npm run serve` in the README-check tests: prints a token URL and serves a page, and
// misbehaves on request (argv[2]): ok | wrong-html | ignore-term | exit-early. It starts a grandchild
// (argv[3] gets its pid) so the tests see the whole process group stopped.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

const mode = process.argv[2] ?? 'ok';
const pidFile = process.argv[3];
if (mode === 'exit-early') { console.error('Cannot find module out/node/cli.js'); process.exit(1); }
const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
if (pidFile) fs.writeFileSync(pidFile, String(grandchild.pid));
if (mode === 'ignore-term') process.on('SIGTERM', () => {});
const server = http.createServer((req, res) => {
  const ok = new URL(req.url, 'http://x').searchParams.get('token') === 'abc';
  res.writeHead(ok ? 200 : 401, { 'Content-Type': 'text/html' });
  res.end(ok ? (mode === 'wrong-html' ? '<p>hello</p>' : '<title>Merge Studio</title><div id="root"></div>') : 'no');
});
server.listen(0, '127.0.0.1', () => console.log(`ready: http://127.0.0.1:${server.address().port}/?token=abc`));
