// Serve mode stopped mid-job (SIGTERM, or Ctrl-C's SIGINT to the whole process group) leaves nothing for a
// later start to tidy up: the engine host cancels the job, removes its temp files and marks its run
// "interrupted" before it exits. The host is forked as serve forks it; the whole `serve` command is run
// too where the app is built (out/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { parseTempName, processGone } from '../../main/engine/files/temp-files';
import { values, writeModel } from '../unit/merge/model-files';

const ROOT = path.resolve(__dirname, '../..');
const HOST = path.join(ROOT, 'main/engine/host.ts');
const BUILT_CLI = path.join(ROOT, 'out/main/cli.js');
let dir: string;
let models: string[];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-serve-stop-'));
  // big enough that the merge is still writing its output when the signal comes: 8 tensors of 1 M floats
  models = [];
  for (let m = 0; m < 3; m++) {
    const file = path.join(dir, `big_${m}.safetensors`);
    await writeModel(file, Array.from({ length: 8 }, (_, k) => ({ name: `layer${k}.weight`, dtype: 'f32' as const, shape: [1000, 1000], values: values(1_000_000, m * 1000 + k) })));
    models.push(file);
  }
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every temp file of ours under `d`, at any depth. */
function tempsUnder(d: string): string[] {
  return fs.readdirSync(d, { recursive: true, encoding: 'utf8' }).filter((p) => parseTempName(path.basename(p)));
}
const runDirs = (ws: string) => (fs.existsSync(path.join(ws, 'runs')) ? fs.readdirSync(path.join(ws, 'runs')).map((n) => path.join(ws, 'runs', n)) : []);
const runJson = (d: string) => JSON.parse(fs.readFileSync(path.join(d, 'run.json'), 'utf8'));

function mergeRecipe(out: string) {
  return { name: 'big mean', method: 'mean', models, output: { path: out } };
}

async function until(ready: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The exit code; the ceiling is generous, as a hang is the bug. */
function exitOf(child: ChildProcess, ms = 60_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pid ${child.pid} did not exit`)), ms);
    child.once('exit', (code) => { clearTimeout(timer); resolve(code); });
  });
}

/** Delivers `signal` while the process is held (SIGSTOP): the job cannot finish between "seen writing" and the signal. */
function signalHeld(pid: number, signal: NodeJS.Signals, to = pid): void {
  process.kill(to, signal);
  process.kill(pid, 'SIGCONT');
}

/** The engine host, forked the way serve forks it, and a way to call it. */
async function startHost(ws: string): Promise<{ child: ChildProcess; stderr: () => string; call(call: string, args: unknown): Promise<unknown> }> {
  const child = fork(HOST, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, MERGE_STUDIO_MODE: 'browser', MERGE_STUDIO_WORKSPACE: ws, MERGE_STUDIO_ROOTS: dir },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const pending = new Map<number, (m: { ok: boolean; result?: unknown; error?: string }) => void>();
  let ready!: () => void;
  const started = new Promise<void>((r) => { ready = r; });
  child.on('message', (m: { kind: string; id?: number; ok?: boolean }) => {
    if (m.kind === 'ready') ready();
    if (m.kind === 'response') pending.get(m.id!)?.(m as never);
  });
  await started;
  let nextId = 1;
  return {
    child,
    stderr: () => err,
    call: (call, args) => new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (m) => (m.ok ? resolve(m.result) : reject(new Error(m.error))));
      child.send({ id, call, args });
    }),
  };
}

describe('the engine host stopped by a signal mid-job', () => {
  it('SIGTERM mid-merge: the merge is cancelled, its temp output removed, its run marked interrupted, and the host exits', async () => {
    const ws = path.join(dir, 'ws-merge');
    const outDir = path.join(dir, 'out-merge');
    fs.mkdirSync(outDir);
    const host = await startHost(ws);
    const pid = host.child.pid!;
    await host.call('startJob', { kind: 'merge', params: { recipe: mergeRecipe(path.join(outDir, 'mean.safetensors')) } });
    await until(() => tempsUnder(outDir).some((n) => parseTempName(n)!.pid === pid), 'the merge to write its output');
    process.kill(pid, 'SIGSTOP');
    expect(tempsUnder(outDir)).toHaveLength(1); // the half-written output, held there
    signalHeld(pid, 'SIGTERM');

    expect(await exitOf(host.child)).toBe(0);
    expect(tempsUnder(dir)).toEqual([]);
    expect(fs.readdirSync(outDir)).toEqual([]);
    const runs = runDirs(ws);
    expect(runs).toHaveLength(1);
    const record = runJson(runs[0]);
    expect(record.status).toBe('interrupted');
    expect(record.error).toMatch(/^interrupted: the engine was stopped \(SIGTERM\) while it ran; its partial output was removed$/);
    expect(host.stderr()).toMatch(new RegExp(`stopped by SIGTERM: marked 1 run interrupted \\(${path.basename(runs[0])}\\)`));
  }, 120_000);

  it('SIGINT mid-training: the run is marked interrupted and the host exits', async () => {
    const ws = path.join(dir, 'ws-train');
    const out = path.join(ws, 'runs', 'train-stopped');
    const host = await startHost(ws);
    const pid = host.child.pid!;
    await host.call('startJob', { kind: 'train', params: {
      arch: 'mlp', hidden: [16], dataset: 'mnist', epochs: 50, batchSize: 64, optimizer: 'sgd', lr: 0.05, seed: 1, outDir: out,
    } });
    await until(() => { try { return runJson(out).status === 'running'; } catch { return false; } }, 'the training run to start', 120_000);
    process.kill(pid, 'SIGSTOP');
    signalHeld(pid, 'SIGINT');

    expect(await exitOf(host.child)).toBe(0);
    const record = runJson(out);
    expect(record.status).toBe('interrupted');
    expect(record.error).toMatch(/the engine was stopped \(SIGINT\) while it ran/);
    expect(tempsUnder(ws)).toEqual([]);
  }, 180_000);
});

describe.skipIf(!fs.existsSync(BUILT_CLI))('`merge-studio serve` (the build) stopped mid-merge', () => {
  it('Ctrl-C (SIGINT to the process group): serve and its engine exit, no temp file is left, the run says interrupted', async () => {
    const ws = path.join(dir, 'ws-serve');
    const outDir = path.join(dir, 'out-serve');
    fs.mkdirSync(outDir);
    // its own process group, as a terminal gives it: Ctrl-C reaches serve and the engine host alike
    const serve = spawn(process.execPath, [BUILT_CLI, 'serve', '--port', '0', '--allow', dir], {
      cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MERGE_STUDIO_WORKSPACE: ws },
    });
    let out = '';
    serve.stdout!.on('data', (d) => { out += d; });
    serve.stderr!.on('data', (d) => { out += d; });
    await until(() => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.test(out), 'serve to print its URL');
    const url = new URL(/http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out)![0]);
    const ws_ = new WebSocket(`ws://${url.host}/api?token=${url.searchParams.get('token')}`, { origin: `http://${url.host}` });
    await new Promise((resolve, reject) => { ws_.once('open', resolve); ws_.once('error', reject); });
    ws_.send(JSON.stringify({ id: 1, call: 'startJob', args: { kind: 'merge', params: { recipe: mergeRecipe(path.join(outDir, 'mean.safetensors')) } } }));
    await until(() => tempsUnder(outDir).length > 0, 'the merge to write its output');
    const hostPid = parseTempName(tempsUnder(outDir)[0])!.pid; // the temp file names its writer: the engine host
    process.kill(hostPid, 'SIGSTOP');
    signalHeld(hostPid, 'SIGINT', -serve.pid!);

    expect(await exitOf(serve)).toBe(0);
    expect(processGone(hostPid)).toBe(true);
    expect(tempsUnder(dir)).toEqual([]);
    expect(fs.readdirSync(outDir)).toEqual([]);
    const runs = runDirs(ws);
    expect(runs).toHaveLength(1);
    expect(runJson(runs[0])).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/the engine was stopped \(SIG(INT|TERM)\) while it ran/) });
    ws_.terminate();
  }, 120_000);
});
