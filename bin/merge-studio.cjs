#!/usr/bin/env node
// Entry of the `merge-studio` command: runs the built CLI (npm run build makes out/main/cli.js).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'out', 'main', 'cli.js');
if (!fs.existsSync(cli)) {
  console.error('merge-studio: not built yet. Run `npm run build` in ' + path.join(__dirname, '..'));
  process.exit(2);
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; }, (err) => { console.error(err); process.exitCode = 1; });
