// Every command's --help ends with an example, and every example runs as written from the repository root —
// twice, since a second run must not trip over the first one's files (outputs go into new run folders, or
// the example says --overwrite). The runs they record are then all in the example workspace's history. `serve`
// is started, waited for until it prints its address, and stopped (it needs the build: npm run build).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../main/cli/commands';

const ROOT = path.resolve(__dirname, '../..');
const WORKSPACE = path.join(ROOT, 'out/examples/workspace');
const BUILT = fs.existsSync(path.join(ROOT, 'out/main/cli.js')) && fs.existsSync(path.join(ROOT, 'out/renderer/index.html'));

/** The example: the last line of `merge-studio COMMAND --help`, as printed by the CLI itself. */
function exampleOf(name: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli.ts', name, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines.at(-2), `${name} --help`).toMatch(/^Example/);
  const m = /^ {2}npx merge-studio (.+)$/.exec(lines.at(-1)!);
  expect(m, `${name} --help ends with "  npx merge-studio …"`).not.toBeNull();
  expect(m![1].split(' ')[0]).toBe(name);
  return m![1];
}

/** Runs `npx merge-studio ARGS` from the repository root, with the CLI's source (the build need not exist). */
function run(args: string) {
  const line = `"${process.execPath}" --import tsx main/cli.ts ${args}`;
  return spawnSync('sh', ['-c', line], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
}

// Nothing is removed first: the examples must run beside whatever earlier runs (and the README's test) left there.
const started = Date.now() - 1000;

describe('every --help ends with an example that runs as written', () => {
  for (const c of commands.filter((x) => x.name !== 'serve')) {
    it(`${c.name}`, () => {
      const args = exampleOf(c.name);
      for (const attempt of ['first', 'second']) {
        const r = run(args);
        expect(r.status, `${attempt} run of: merge-studio ${args}\n${r.stderr}`).toBe(0);
      }
    }, 300_000);
  }

  it('serve: starts, prints its address, stops on SIGTERM with exit code 0', async () => {
    const args = exampleOf('serve');
    if (!BUILT) {
      // without the build serve refuses, and says how to build
      const r = run(args);
      expect(r.stderr).toMatch(/the app is not built: run `npm run build` first/);
      return;
    }
    const child = spawn(process.execPath, ['out/main/cli.js', ...args.split(' ')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address within 60 s: ${out}`)), 60_000);
      child.stdout.on('data', () => {
        const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out);
        if (m) { clearTimeout(timer); resolve(m[0]); }
      });
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}: ${out}`)); });
    });
    expect((await fetch(address)).status).toBe(200);
    const code = await new Promise<number | null>((resolve) => { child.on('exit', resolve); child.kill('SIGTERM'); });
    expect(code).toBe(0);
  }, 120_000);

  it('the runs of the examples are all in the example workspace\'s history, each with an id and a label', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'runs', '--json', '--workspace-dir', WORKSPACE], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const runs = (JSON.parse(r.stdout) as { id: string; label: string; kind: string; status: string; dir: string; startedAt?: string }[])
      .filter((x) => x.startedAt && Date.parse(x.startedAt) >= started);
    expect(new Set(runs.map((x) => x.kind))).toEqual(new Set(['train', 'merge', 'align', 'curve', 'eval', 'soup', 'search', 'plane', 'doctor', 'verify']));
    for (const x of runs) {
      expect(x.id).toBe(path.basename(x.dir));
      expect(x.label).toMatch(new RegExp(`^(${x.kind}|compare) · `));
      expect(['succeeded', 'completed'], `${x.id}: ${x.status}`).toContain(x.status);
    }
  });
});
