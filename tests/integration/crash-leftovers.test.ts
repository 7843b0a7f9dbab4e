// After kill -9 or a full disk, nothing of ours is left behind but a run that says what happened: a real
// child process is killed with SIGKILL mid-merge (and mid-training), then an engine start, or the next
// merge, removes its temp output and marks its run "interrupted". A real full disk (a tiny tmpfs in a
// private mount namespace, where `unshare` allows it) makes the workspace, the output and a training run
// fail: the error names the file and the space needed, and nothing half-made stays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../../main/engine/engine';
import { parseTempName, removeStaleTemps } from '../../main/engine/files/temp-files';
import { listRuns } from '../../main/engine/compare/history';
import { runMerge } from '../../main/engine/merge/executor';
import { parseRecipe, resolveRecipe } from '../../main/engine/merge/recipe';
import type { JobContext } from '../../main/engine/job-context';
import { readModel, values, writeModel } from '../unit/merge/model-files';

const ROOT = path.resolve(__dirname, '../..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'main/cli.ts')];
let dir: string;

beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-crash-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const tempsIn = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).filter((n) => parseTempName(n)) : []);
const runDirs = (ws: string) => (fs.existsSync(path.join(ws, 'runs')) ? fs.readdirSync(path.join(ws, 'runs')).map((n) => path.join(ws, 'runs', n)) : []);
const runJson = (d: string) => JSON.parse(fs.readFileSync(path.join(d, 'run.json'), 'utf8'));

/** Models big enough that a merge takes a while: `n` tensors of 1 M floats each. */
async function bigModels(into: string, n: number): Promise<string[]> {
  const files: string[] = [];
  for (let m = 0; m < 3; m++) {
    const file = path.join(into, `big_${m}.safetensors`);
    await writeModel(file, Array.from({ length: n }, (_, k) => ({ name: `layer${k}.weight`, dtype: 'f32' as const, shape: [1000, 1000], values: values(1_000_000, m * 1000 + k) })));
    files.push(file);
  }
  return files;
}

/** Waits until `ready()` holds (polling fast), then stops the child at once (SIGSTOP) so it cannot finish meanwhile. */
async function stopWhen(child: ChildProcess, ready: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!ready()) {
    if (child.exitCode !== null) throw new Error(`the child ended (exit ${child.exitCode}) before it could be killed mid-run`);
    if (Date.now() > until) throw new Error('the child never reached the point to kill it at');
    await new Promise((r) => setImmediate(r));
  }
  child.kill('SIGSTOP');
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Spawns `merge-studio merge` and kills it with SIGKILL while its output is half-written. */
async function killedMerge(recipe: string, ws: string, outDir: string): Promise<{ pid: number; temp: string; run: string }> {
  const child = spawn(process.execPath, [...CLI, 'merge', recipe, '--workspace-dir', ws, '--json'], { cwd: ROOT, stdio: 'ignore' });
  const before = new Set(runDirs(ws));
  await stopWhen(child, () => tempsIn(outDir).some((n) => parseTempName(n)!.pid === child.pid), 60_000);
  const temp = path.join(outDir, tempsIn(outDir).find((n) => parseTempName(n)!.pid === child.pid)!);
  await kill9(child);
  const run = runDirs(ws).find((d) => !before.has(d))!;
  return { pid: child.pid!, temp, run };
}

describe('after kill -9', () => {
  it('a killed merge leaves its temp output and a "running" run.json; an engine start removes the one and marks the other interrupted; so does the next merge', async () => {
    const models = await bigModels(dir, 8);
    const outDir = path.join(dir, 'out');
    const ws = path.join(dir, 'ws');
    fs.mkdirSync(outDir);
    const recipe = path.join(dir, 'big.yaml');
    fs.writeFileSync(recipe, `name: big mean\nmethod: mean\nmodels: [${models.join(', ')}]\noutput: {path: ${path.join(outDir, 'mean.safetensors')}}\n`);

    const first = await killedMerge(recipe, ws, outDir);
    // what kill -9 leaves: the temp file beside the output (part of the output in it), a run saying running
    expect(fs.existsSync(first.temp)).toBe(true);
    expect(path.basename(first.temp)).toMatch(new RegExp(`^\\.mean\\.safetensors\\.${first.pid}-[0-9a-f]{8}\\.tmp$`));
    expect(runJson(first.run)).toMatchObject({ status: 'running', pid: first.pid, host: os.hostname() });
    expect(fs.existsSync(path.join(outDir, 'mean.safetensors'))).toBe(false);

    // an engine starting on this workspace cleans up
    const saved = process.env.MERGE_STUDIO_WORKSPACE;
    process.env.MERGE_STUDIO_WORKSPACE = ws;
    let swept;
    try {
      swept = await createEngine(() => {}, 'cli').swept;
    } finally {
      process.env.MERGE_STUDIO_WORKSPACE = saved;
    }
    expect(swept.removed).toContain(first.temp);
    expect(swept.interrupted).toEqual([first.run]);
    expect(fs.readdirSync(outDir)).toEqual([]);
    const record = runJson(first.run);
    expect(record.status).toBe('interrupted');
    expect(record.error).toMatch(new RegExp(`pid ${first.pid}\\b.*ended before the run finished`));
    expect(tempsIn(first.run)).toEqual([]);
    // history shows it so, in the app's call and on the command line
    expect((await listRuns(ws)).map((r) => [r.dir, r.status])).toEqual([[first.run, 'interrupted']]);
    const runs = spawnSync(process.execPath, [...CLI, 'runs', '--workspace-dir', ws], { cwd: ROOT, encoding: 'utf8' });
    expect(runs.stdout).toMatch(new RegExp(`${path.basename(first.run)}\\s+merge\\s+interrupted`));
    expect(runs.stdout).toMatch(/interrupted: the process that ran it/);

    // killed again: this time the next merge itself cleans up before it runs, and completes
    const second = await killedMerge(recipe, ws, outDir);
    expect(fs.existsSync(second.temp)).toBe(true);
    const logs: string[] = [];
    const ctx: JobContext = { signal: new AbortController().signal, progress: () => {}, log: (m) => logs.push(m), metric: () => {} };
    const resolved = await resolveRecipe(parseRecipe(fs.readFileSync(recipe, 'utf8')), dir);
    const result = await runMerge(resolved, ctx, { workspace: ws });
    expect(logs.join('\n')).toMatch(/cleanup after an earlier crash: removed 1 temp file .*; marked 1 run interrupted/);
    expect(runJson(second.run).status).toBe('interrupted');
    expect(runJson(first.run).status).toBe('interrupted'); // judged once, left as it is
    expect(fs.readdirSync(outDir)).toEqual(['mean.safetensors']);
    expect(runJson(result.runDir!).status).toBe('succeeded');
    // and the merge is right: the mean of the three
    const got = (await readModel(result.output.path)).values;
    const want = (m: number, k: number) => values(1_000_000, m * 1000 + k);
    for (const k of [0, 7]) {
      const g = got.get(`layer${k}.weight`)!;
      const a = want(0, k); const b = want(1, k); const c = want(2, k);
      for (let i = 0; i < g.length; i += 997) expect(g[i]).toBeCloseTo((a[i] + b[i] + c[i]) / 3, 6);
    }
  }, 180_000);

  it('a killed training run is marked interrupted by the next engine start', async () => {
    const ws = path.join(dir, 'ws-train');
    const out = path.join(ws, 'runs', 'train-killed');
    const child = spawn(process.execPath, [...CLI, 'train', '--arch', 'mlp', '--hidden', '16', '--dataset', 'mnist', '--epochs', '50', '--out', out, '--quiet'], { cwd: ROOT, stdio: 'ignore' });
    await stopWhen(child, () => { try { return runJson(out).status === 'running'; } catch { return false; } }, 120_000);
    await kill9(child);
    expect(runJson(out)).toMatchObject({ status: 'running', pid: child.pid });
    const saved = process.env.MERGE_STUDIO_WORKSPACE;
    process.env.MERGE_STUDIO_WORKSPACE = ws;
    try {
      expect((await createEngine(() => {}, 'cli').swept).interrupted).toEqual([out]);
    } finally {
      process.env.MERGE_STUDIO_WORKSPACE = saved;
    }
    expect(runJson(out).status).toBe('interrupted');
    expect(tempsIn(out)).toEqual([]);
  }, 180_000);

  it('removes only temp files of ours whose process is gone', async () => {
    const d = path.join(dir, 'temps');
    fs.mkdirSync(d);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    const names = {
      dead: `.model.safetensors.${deadPid}-0a1b2c3d.tmp`,
      mine: `.model.safetensors.${process.pid}-0a1b2c3d.tmp`,
      alive: `.model.safetensors.${process.ppid}-0a1b2c3d.tmp`,
      other: ['notes.123.tmp', '.x.tmp', 'model.safetensors', `.model.${deadPid}.tmp`],
    };
    for (const n of [names.dead, names.mine, names.alive, ...names.other]) fs.writeFileSync(path.join(d, n), 'x');
    expect(await removeStaleTemps(d)).toEqual([path.join(d, names.dead)]);
    expect(fs.readdirSync(d).sort()).toEqual([names.mine, names.alive, ...names.other].sort());
  });
});

// A private mount namespace with a tiny tmpfs: a real full disk without touching the machine's mounts.
const canMount = process.platform === 'linux' && spawnSync('unshare', ['-rm', 'sh', '-c', `d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d"; s=$?; rmdir "$d"; exit $s`]).status === 0;

/** Runs `script` with $D a fresh tmpfs of `size`, filled up first when `fill`; prints what was left on it after. */
function onTinyDisk(size: string, fill: boolean, script: string | ((mnt: string) => string)): { out: string; err: string; exit: number; left: string[] } {
  const mnt = fs.mkdtempSync(path.join(dir, 'disk-'));
  if (typeof script === 'function') script = script(mnt);
  const sh = `set -u; mount -t tmpfs -o size=${size} tmpfs "$D" || exit 99; ` +
    (fill ? `head -c 100000000 /dev/zero > "$D/.filler" 2>/dev/null; ` : '') +
    `( ${script} ); echo "EXIT=$?" >&2; rm -f "$D/.filler"; echo "---LEFT---"; find "$D" -mindepth 1 | sort`;
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', sh], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, D: mnt }, timeout: 120_000 });
  const [out, left = ''] = r.stdout.split('---LEFT---\n');
  return { out, err: r.stderr, exit: Number(/EXIT=(\d+)/.exec(r.stderr)?.[1] ?? -1), left: left.split('\n').filter(Boolean).map((p) => path.relative(mnt, p)) };
}

describe.skipIf(!canMount)('on a full disk (a tiny tmpfs)', () => {
  const node = `"${process.execPath}" ${CLI.map((a) => `"${a}"`).join(' ')}`;
  let recipe: string;
  beforeAll(async () => {
    const small = path.join(dir, 'small');
    fs.mkdirSync(small);
    for (const m of [0, 1, 2]) {
      await writeModel(path.join(small, `m${m}.safetensors`), [0, 1, 2].map((k) => ({ name: `w${k}`, dtype: 'f32' as const, shape: [500, 250], values: values(125_000, m * 10 + k) })));
    }
    recipe = path.join(small, 'r.yaml');
    fs.writeFileSync(recipe, `method: mean\nmodels: [m0.safetensors, m1.safetensors, m2.safetensors]\noutput: {path: mean.safetensors}\n`);
  });

  it('a full workspace: the error names recipe.yaml and the space it needed; no run folder is left', () => {
    const r = onTinyDisk('256k', true, `${node} merge "${recipe}" --workspace-dir "$D/ws"`);
    expect(r.exit).toBe(2);
    expect(r.err).toMatch(/cannot write \S*\/ws\/runs\/[^/]+\/recipe\.yaml: the disk is full \(ENOSPC\): it needs \d+ (kB|bytes), \d+ (kB|bytes) (is|are) free on that disk — free some space.*the run folder \S+ was removed, nothing was left behind/);
    expect(r.err.split('\n').filter((l) => l.startsWith('merge-studio'))).toHaveLength(1);
    // no run folder, no temp file, no empty log.txt / metrics.jsonl: at most the empty folders above it
    expect(r.left.filter((p) => !['ws', 'ws/runs', 'ws/cache'].includes(p))).toEqual([]);
    expect(fs.existsSync(path.join(path.dirname(recipe), 'mean.safetensors'))).toBe(false);
  });

  it('an output bigger than its disk: the error names the output and the space it needs; no temp file; the run says failed', () => {
    const ws = path.join(dir, 'ws-full-output');
    const onDisk = path.join(dir, 'r-on-disk.yaml');
    const s = onTinyDisk('1m', false, (mnt) => {
      const models = [0, 1, 2].map((m) => path.join(path.dirname(recipe), `m${m}.safetensors`));
      fs.writeFileSync(onDisk, `method: mean\nmodels: [${models.join(', ')}]\noutput: {path: ${path.join(mnt, 'out', 'mean.safetensors')}}\n`);
      return `mkdir "$D/out" && ${node} merge "${onDisk}" --workspace-dir "${ws}" --json > "${dir}/full.json"`;
    });
    expect(s.exit).toBe(2);
    expect(s.err).toMatch(/cannot write \S*\/out\/mean\.safetensors: the disk is full \(ENOSPC\): it needs 1\.5 MB, (1\.0 MB|\d{3} kB) (is|are) free on that disk — free some space or choose a folder on another disk; nothing was left at/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'full.json'), 'utf8'))).toMatchObject({ ok: false, error: expect.stringMatching(/the disk is full.*it needs 1\.5 MB/) });
    expect(s.left).toEqual(['out']); // no output, no temp file
    const run = runDirs(ws)[0];
    expect(runJson(run)).toMatchObject({ status: 'failed', error: expect.stringMatching(/mean\.safetensors: the disk is full/) });
    expect(tempsIn(run)).toEqual([]);
  });

  it('a training run on a full disk: the error names init.safetensors and its size; its folder is removed', () => {
    const r = onTinyDisk('128k', true, `${node} train --arch mlp --hidden 8 --dataset mnist --epochs 1 --out "$D/run" --quiet`);
    expect(r.exit).not.toBe(0);
    expect(r.err).toMatch(/cannot write \S*\/run\/init\.safetensors: the disk is full \(ENOSPC\): it needs 26 kB, \d+ (kB|bytes) (is|are) free on that disk/);
    expect(r.left).toEqual([]);
  }, 120_000);
});
