// The CI check that runs the README's own commands: it reads the README's real first command, and it
// tells a working server from a crash, a wrong page and a process that will not stop, stopping the whole group.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ES module without types (it runs before npm ci, so it may use nothing installed)
import { CHECKS, findTokenUrl, readmeCommands, runCheck } from '../../../scripts/readme-commands.mjs';

const ROOT = path.resolve(__dirname, '../../..');
const FAKE = path.join(__dirname, 'fake-serve.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-check-'));
/** Running (a zombie left for a slow PID 1 to reap has stopped: it is dead, only not yet reaped). */
const alive = (pid: number) => {
  try { return !/^[ZX]$/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ')[0]); } catch { return false; }
};
const check = (mode: string, pidFile = path.join(tmp, `${mode}.pid`)) =>
  runCheck({ name: `fake ${mode}`, pick: (c: string[]) => c[0], expect: 'serves', timeoutS: 20, stopGraceS: 2 },
    [`node ${JSON.stringify(FAKE)} ${mode} ${JSON.stringify(pidFile)}`], { cwd: tmp, env: process.env, logDir: tmp });

describe('README commands', () => {
  it('reads the README\'s first shell block without comments; the checks pick its demo (first) and serve commands', () => {
    const commands = readmeCommands(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(commands[0]).toBe('npm ci && npm run demo');
    expect(CHECKS.map((c: { pick(x: string[]): string; expect: string }) => [c.pick(commands), c.expect])).toEqual([['npm ci && npm run demo', 'reports'], ['npm ci && npm run serve', 'serves']]);
    expect(readmeCommands('text\n```bash\n$ make all   # build\n# note\nmake test\n```\n```sh\nlater\n```')).toEqual(['make all', 'make test']);
  });

  it('the serve script runs the CLI file the build writes (the one bin/merge-studio.cjs runs)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const cli = /\bnode\s+(\S+)\s+serve\b/.exec(pkg.scripts.serve)?.[1];
    expect(cli).toBe('out/main/cli.js');
    expect(fs.readFileSync(path.join(ROOT, 'bin/merge-studio.cjs'), 'utf8')).toContain("'out', 'main', 'cli.js'");
  });

  it('finds the token URL in what serve prints', () => {
    expect(findTokenUrl('Merge Studio is ready.\nhttp://127.0.0.1:5317/?token=a-b_C9\n')).toBe('http://127.0.0.1:5317/?token=a-b_C9');
    expect(findTokenUrl('listening on 127.0.0.1:5317')).toBeNull();
  });

  it('passes a server that prints its URL, serves the app with the token, refuses without, and stops with its group', async () => {
    const r = await check('ok');
    expect(r.status, r.detail).toBe('passed');
    expect(r.detail).toMatch(/200 with the token, 401 without/);
    const grandchild = Number(fs.readFileSync(path.join(tmp, 'ok.pid'), 'utf8'));
    expect(alive(grandchild)).toBe(false);
  });

  it('fails a command that dies before printing an address, with its output', async () => {
    const r = await check('exit-early');
    expect(r.status).toBe('failed');
    expect(r.detail).toMatch(/exited \(code 1.*without printing/);
    expect(r.detail).toContain('Cannot find module');
  });

  it('fails a page that is not the app', async () => {
    const r = await check('wrong-html');
    expect(r.status).toBe('failed');
    expect(r.detail).toMatch(/not the app's HTML/);
  });

  it('fails a server that ignores SIGTERM, and still kills its whole group', async () => {
    const r = await check('ignore-term');
    expect(r.status).toBe('failed');
    expect(r.detail).toMatch(/did not stop on SIGTERM/);
    expect(alive(Number(fs.readFileSync(path.join(tmp, 'ignore-term.pid'), 'utf8')))).toBe(false);
  });

  it('fails when the README lacks the command a check asks for', async () => {
    const r = await runCheck({ name: 'demo', pick: (c: string[]) => c.find((x) => x.includes('demo')), expect: 'serves' }, ['npm test'], { cwd: tmp, env: process.env, logDir: tmp });
    expect(r).toMatchObject({ status: 'failed', detail: 'the README has no such command' });
  });

  it('passes a demo that ends with its report (a real file holding a chart), fails one whose report is missing or chartless', async () => {
    const demo = (name: string, script: string) => runCheck({ name, pick: (c: string[]) => c[0], expect: 'reports', timeoutS: 20, stopGraceS: 2 },
      [`node -e ${JSON.stringify(script)}`], { cwd: tmp, env: process.env, logDir: tmp });
    const good = path.join(tmp, 'good.html'), bare = path.join(tmp, 'bare.html');
    fs.writeFileSync(good, '<html><body><svg viewBox="0 0 1 1"></svg></body></html>');
    fs.writeFileSync(bare, '<html><body>no chart</body></html>');
    expect(await demo('ok', `console.log('checkpoint accuracy …'); console.log(${JSON.stringify(`report: ${good}`)})`)).toMatchObject({ status: 'passed' });
    expect((await demo('missing', `console.log(${JSON.stringify(`report: ${path.join(tmp, 'nope.html')}`)})`)).detail).toMatch(/does not exist/);
    expect((await demo('chartless', `console.log(${JSON.stringify(`report: ${bare}`)})`)).detail).toMatch(/no chart/);
    expect((await demo('no line', 'console.log("done")')).detail).toMatch(/last line is not "report: PATH.html"/);
    expect((await demo('crash', 'process.exit(3)')).detail).toMatch(/exited with code 3/);
  });

  it('leaves nothing pending once a check is done: a script running a quick check with a 25-minute limit exits', () => {
    // CI once idled 25 minutes here: the demo's time-limit timer outlived the demo and kept the script alive.
    const script = `import { runCheck } from ${JSON.stringify(path.join(ROOT, 'scripts/readme-commands.mjs'))};
const r = await runCheck({ name: 'quick', pick: (c) => c[0], expect: 'exits-0', timeoutS: 1500, stopGraceS: 2 }, ['true'], { cwd: ${JSON.stringify(tmp)}, env: process.env, logDir: ${JSON.stringify(tmp)} });
console.log(r.status);`;
    const file = path.join(tmp, 'quick-check.mjs');
    fs.writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal, 'killed after 60 s: something kept the script alive').toBeNull();
    expect(r.stdout.trim()).toBe('passed');
  }, 90_000);
});
