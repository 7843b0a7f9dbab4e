// Dataset specs from a UI pass the allowed-folders rule of model paths, by the real path of every file they
// would read: in serve mode and in the desktop app, every job that takes a dataset refuses one that reaches
// outside home and the workspace (by name, by climbing, or by a link inside), before anything is read or queued,
// and no byte of the outside file appears in the refusal or in any event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { createEngine, type Engine } from '../../../main/engine/engine';
import type { StudioEvent } from '../../../main/engine/api';

const IDX = path.resolve(__dirname, '../../fixtures/data/idx');
const SECRET = `root:x:0:0:SECRET-${process.pid}`;
let base: string, home: string, outside: string;
const saved = process.env.HOME;

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ms-dsroots-')));
  home = path.join(base, 'home');
  outside = path.join(base, 'etc');
  fs.mkdirSync(home);
  fs.mkdirSync(outside);
  // a home of its own, so "outside the roots" holds whatever the machine's real home is
  process.env.HOME = home;
  // An outside "passwd" that parses as far as a CSV can take it, and an outside image folder and IDX folder.
  fs.writeFileSync(path.join(outside, 'passwd'), `${SECRET},label\n1,0\n`);
  for (const c of ['a', 'b']) {
    fs.mkdirSync(path.join(outside, 'imgs', c), { recursive: true });
    fs.writeFileSync(path.join(outside, 'imgs', c, `${SECRET.replace(/:/g, '_')}.png`), PNG.sync.write(new PNG({ width: 2, height: 2 })));
  }
  fs.mkdirSync(path.join(outside, 'idx'));
  fs.mkdirSync(path.join(home, 'idx'));
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte']) {
    fs.copyFileSync(path.join(IDX, f), path.join(outside, 'idx', f));
    fs.symlinkSync(path.join(outside, 'idx', f), path.join(home, 'idx', f));
  }
  // Links inside home that lead out.
  fs.symlinkSync(path.join(outside, 'passwd'), path.join(home, 'table.csv'));
  fs.symlinkSync(path.join(outside, 'imgs'), path.join(home, 'photos'));
});
afterAll(() => {
  process.env.HOME = saved;
  fs.rmSync(base, { recursive: true, force: true });
});

/** Specs that reach the outside folder, each in its own way. */
function hostileSpecs(): string[] {
  const passwd = path.join(outside, 'passwd');
  return [
    `csv:${passwd}`,
    `csv:${path.relative(process.cwd(), passwd)}`,
    `csv:${[home, '..', 'etc', 'passwd'].join(path.sep)}`,
    passwd,
    `csv:${path.join(home, 'table.csv')}?label=0`,
    path.join(home, 'table.csv'),
    `imagefolder:${path.join(outside, 'imgs')}`,
    path.join(outside, 'imgs'),
    `imagefolder:${path.join(home, 'photos')}`,
    `idx:${path.join(outside, 'idx')}`,
    `idx:${path.join(home, 'idx')}`,
    `idx:${path.join(home, 'idx', 'train-images-idx3-ubyte')}`,
    `idx:${path.join(home, 'x-idx3-ubyte')},${path.join(outside, 'idx', 'train-labels-idx1-ubyte')}`,
  ];
}

const inHome = (name: string) => path.join(home, name);
const train = (dataset: string, extra: Record<string, unknown> = {}) => ({
  arch: 'mlp', hidden: [4], dataset, epochs: 1, batchSize: 2, optimizer: 'sgd', lr: 0.01, seed: 0, outDir: inHome('run'), ...extra,
});
const recipe = (align?: Record<string, unknown>) => ({
  method: 'mean', models: [inHome('a.pt'), inHome('b.pt')], output: { path: inHome('m.safetensors') }, ...(align ? { align } : {}),
});
const two = () => [{ path: inHome('a.pt') }, { path: inHome('b.pt') }];

/** Every call that carries a dataset, with the spec in one field; the field the refusal must name. */
function requests(spec: string): [string, string, unknown][] {
  return [
    ['train', 'dataset', { kind: 'train', params: train(spec) }],
    ['train evalDataset', 'evalDataset', { kind: 'train', params: train('mnist:fit', { evalDataset: spec }) }],
    ['train-pair', 'b.dataset', { kind: 'train-pair', params: { a: train('mnist:fit'), b: train(spec) } }],
    ['align', 'dataset', { kind: 'align', params: { reference: inHome('a.pt'), others: [inHome('b.pt')], method: 'activation', dataset: spec } }],
    ['curve', 'dataset', { kind: 'curve', params: { a: inHome('a.pt'), b: inHome('b.pt'), dataset: spec } }],
    ['curve sample', 'sampleDataset', { kind: 'curve', params: { a: inHome('a.pt'), b: inHome('b.pt'), dataset: 'mnist:test', sampleDataset: spec, aligns: ['activation'] } }],
    ['compare', 'dataset', { kind: 'compare', params: { models: two(), dataset: spec } }],
    ['soup', 'heldout', { kind: 'soup', params: { models: two(), heldout: spec, kind: 'greedy' } }],
    ['soup test', 'test', { kind: 'soup', params: { models: two(), heldout: 'mnist:val', test: spec, kind: 'uniform' } }],
    ['search', 'heldout', { kind: 'search', params: { recipe: recipe(), dimensions: [{ name: 'alpha', values: [0.5] }], budget: 1, heldout: spec } }],
    ['search recipe', 'align.dataset', { kind: 'search', params: { recipe: recipe({ method: 'activation', dataset: spec }), dimensions: [{ name: 'alpha', values: [0.5] }], budget: 1, heldout: 'mnist:val' } }],
    ['merge', 'align.dataset', { kind: 'merge', params: { recipe: recipe({ method: 'weight', repair: 'reset', dataset: spec }) } }],
    ['preflight', 'align.dataset', { recipe: recipe({ method: 'activation', dataset: spec }) }],
  ];
}

async function refusal(engine: Engine, label: string, args: unknown): Promise<string> {
  const call = label === 'preflight' ? engine.call('preflightMerge', args) : engine.call('startJob', args as never);
  return call.then(() => 'allowed', (e: Error) => e.message);
}

describe.each(['browser', 'electron'] as const)('dataset paths in %s mode', (mode) => {
  it('refuses every job whose dataset reaches outside the allowed folders, queues nothing and shows nothing of the file', async () => {
    const events: StudioEvent[] = [];
    const engine = createEngine((e) => events.push(e), mode);
    for (const spec of hostileSpecs()) {
      for (const [label, field, args] of requests(spec)) {
        const message = await refusal(engine, label, args);
        expect(message, `${label} ${spec}`).toMatch(new RegExp(`^${field.replace('.', '\\.')}: .*outside the folders this app may use`));
        expect(message, `${label} ${spec}`).not.toContain('SECRET');
      }
    }
    expect(engine.runner.list()).toEqual([]);
    expect(JSON.stringify(events)).not.toContain('SECRET');
  });

  it('names a link inside home as the link, never where it leads', async () => {
    const engine = createEngine(() => {}, mode);
    const message = await refusal(engine, 'compare', { kind: 'compare', params: { models: two(), dataset: `imagefolder:${path.join(home, 'photos')}` } });
    expect(message).toContain(`${path.join(home, 'photos')} leads through a symbolic link to a place outside the folders this app may use`);
    expect(message).not.toContain(outside);
  });
});

describe('dataset files inside the allowed folders', () => {
  it('trains on a CSV in home, and a CSV error there names counts, not the file contents', async () => {
    const events: StudioEvent[] = [];
    const engine = createEngine((e) => events.push(e), 'browser');
    const ok = inHome('ok.csv');
    fs.writeFileSync(ok, 'f0,f1,y\n0,1,0\n1,0,1\n0,1,0\n1,0,1\n');
    const good = await engine.call('startJob', { kind: 'train', params: train(`csv:${ok}`) } as never);
    expect((await engine.runner.wait(good.jobId)).status).toBe('succeeded');

    const keys = inHome('keys.csv');
    fs.writeFileSync(keys, `${SECRET},f1,y\n0,1,0\n1,0,1\n`);
    const bad = await engine.call('startJob', { kind: 'train', params: train(`csv:${keys}?label=nope`, { outDir: inHome('run-2') }) } as never);
    const failed = await engine.runner.wait(bad.jobId);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/has no label column "nope"; none of the 3 names in its header row is "nope"/);
    expect(JSON.stringify([failed, events])).not.toContain('SECRET');
  });
});
