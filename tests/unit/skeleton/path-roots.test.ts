// Paths from a UI are checked against the allowed roots in the desktop app as in serve mode: home, the
// workspace, and (desktop) the folders picked in native dialogs, which main passes to the engine host over a
// control message no renderer can send. A file the UI loads as a recipe is echoed only if it is one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine, type Engine } from '../../../main/engine/engine';
import { EngineClient } from '../../../main/engineClient';
import { forkHost } from '../../../main/serve/node-host';
import { parseCall } from '../../../main/engine/api';

const FIX = path.resolve(__dirname, '../../fixtures');
const HOST = path.resolve(__dirname, '../../../main/engine/host.ts');
let base: string;
let home: string;
let outside: string;
const saved = process.env.HOME;

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-roots-'));
  home = path.join(base, 'home');
  outside = path.join(base, 'elsewhere');
  fs.mkdirSync(home);
  fs.mkdirSync(outside);
  // a home of its own, so "outside the roots" holds whatever the machine's real home is
  process.env.HOME = home;
  fs.copyFileSync(path.join(FIX, 'merge/cnn_0.pt'), path.join(outside, 'cnn_0.pt'));
  fs.copyFileSync(path.join(FIX, 'merge/cnn_1.pt'), path.join(outside, 'cnn_1.pt'));
});
afterAll(() => {
  process.env.HOME = saved;
  fs.rmSync(base, { recursive: true, force: true });
});

const recipe = (out: string) => ({ method: 'mean', models: [path.join(outside, 'cnn_0.pt'), path.join(outside, 'cnn_1.pt')], output: { path: out } });
const train = (outDir: string) => ({ arch: 'mlp', hidden: [8], dataset: 'mnist', epochs: 1, batchSize: 64, optimizer: 'sgd', lr: 0.01, seed: 0, outDir });

async function refusals(engine: Engine): Promise<string[]> {
  const tries: [string, unknown][] = [
    ['openModel', { path: path.join(outside, 'cnn_0.pt') }],
    ['saveRecipe', { path: path.join(outside, 'r.yaml'), recipe: recipe(path.join(home, 'm.safetensors')) }],
    ['loadRecipe', { path: path.join(outside, 'r.yaml') }],
    ['preflightMerge', { recipe: recipe(path.join(home, 'm.safetensors')) }],
    ['startJob', { kind: 'merge', params: { recipe: { ...recipe(path.join(outside, 'm.safetensors')), models: [path.join(home, 'a.pt'), path.join(home, 'b.pt')] } } }],
    ['startJob', { kind: 'train', params: train(path.join(outside, 'run')) }],
    ['browse', { dir: outside }],
  ];
  const out: string[] = [];
  for (const [name, args] of tries) {
    const call = parseCall(name, args);
    await engine.call(call.name, call.args).then(() => out.push(`${name}: allowed`), (e: Error) => out.push(`${name}: ${/outside the folders this app may use/.test(e.message) ? 'refused' : e.message}`));
  }
  return out;
}

describe('allowed roots in the desktop app', () => {
  it('refuses renderer paths outside home and the workspace, saying how to allow a folder', async () => {
    const engine = createEngine(() => {}, 'electron');
    expect(await refusals(engine)).toEqual([
      'openModel: refused', 'saveRecipe: refused', 'loadRecipe: refused', 'preflightMerge: refused', 'startJob: refused', 'startJob: refused', 'browse: refused',
    ]);
    await expect(engine.call('openModel', { path: path.join(outside, 'cnn_0.pt') })).rejects.toThrow(/choose it with Open files… or drop it on the window to allow its folder/);
  });

  it('allows a folder once main says the user picked it in a native dialog', async () => {
    const engine = createEngine(() => {}, 'electron');
    engine.allowRoots([outside]);
    const opened = await engine.call('openModel', { path: path.join(outside, 'cnn_0.pt') });
    expect(opened.inspection.format).toBe('pytorch');
    const saved = await engine.call('saveRecipe', { path: path.join(outside, 'r.yaml'), recipe: recipe(path.join(outside, 'm.safetensors')) });
    expect(fs.existsSync(saved.path)).toBe(true);
    expect((await engine.call('loadRecipe', { path: saved.path })).recipe.method).toBe('mean');
    // a sibling of the picked folder stays out
    await expect(engine.call('openModel', { path: path.join(base, 'x.pt') })).rejects.toThrow(/outside the folders/);
  });

  it('the host takes allowed roots from main by a control message, and a restarted host gets them again', async () => {
    const transports: { kill(): void }[] = [];
    const inner = forkHost(HOST, { execArgv: ['--import', 'tsx'], env: { HOME: home } });
    const client = new EngineClient(() => { const t = inner(); transports.push(t); return t; }, () => {});
    try {
      await client.start();
      const file = path.join(outside, 'cnn_1.pt');
      await expect(client.call('openModel', { path: file })).rejects.toThrow(/outside the folders/);
      // a renderer cannot send the control message: as a call it is unknown
      await expect(client.call('allowRoots' as never, { dirs: [outside] })).rejects.toThrow(/unknown call/);
      client.allowRoots([outside]);
      expect((await client.call('openModel', { path: file })).fileName).toBe('cnn_1.pt');
      transports[0].kill();
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 100 && transports.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      expect((await client.call('openModel', { path: file })).fileName).toBe('cnn_1.pt');
    } finally {
      client.stop();
    }
  }, 60_000);
});

describe('loading a recipe from the UI', () => {
  it('echoes nothing of a file that is not a recipe, and names key and line for one that is', async () => {
    const engine = createEngine(() => {}, 'browser', { roots: [outside] });
    const secret = path.join(outside, 'credentials');
    for (const text of ['aws_secret_access_key = hunter2-SECRET\n', 'token: hunter2-SECRET\nother: [1, 2\n', 'hunter2-SECRET\n', '- hunter2-SECRET\n']) {
      fs.writeFileSync(secret, text);
      const err = await engine.call('loadRecipe', { path: secret }).then(() => null, (e: Error) => e.message);
      expect(err, text).toMatch(/is not a merge recipe .*nothing of the file is shown/);
      expect(err).not.toMatch(/hunter2|SECRET|aws|token/);
    }
    const bad = path.join(outside, 'bad.yaml');
    fs.writeFileSync(bad, 'method: mean\nmodels:\n  - {path: a.pt, wieght: 2}\noutput: {path: o.safetensors}\n');
    await expect(engine.call('loadRecipe', { path: bad })).rejects.toThrow(/bad\.yaml line 3: models\[0\]\.wieght: unknown key "wieght"/);
  });
});
