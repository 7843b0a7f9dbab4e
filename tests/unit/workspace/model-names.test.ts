// Model files named by the run that wrote them, over run folders the engine itself writes: two real merges
// with default outputs (both `merged.safetensors`), a training run's checkpoints recorded through RunFolder,
// and files of no run that share a name. The index re-reads a run.json only when it changed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import { silentContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge/executor';
import { parseRecipe, resolveRecipe } from '../../../main/engine/merge/recipe';
import { renameRun } from '../../../main/engine/compare/history';
import { nameModels, shortLabel } from '../../../main/engine/workspace/model-names';
import { RunFolder } from '../../../main/engine/workspace/run-folder';
import { runFilesIn } from '../../../main/engine/workspace/run-index';
import { smallNet, tempDir, writeModel } from '../merge/model-files';

const io = { openModel, writerFor };
let dir: string;
let ws: string;
let first: { runDir: string; out: string };
let second: { runDir: string; out: string };
let train: { dir: string; checkpoints: string[] };

async function mergeDefault(): Promise<{ runDir: string; out: string }> {
  const recipe = parseRecipe('method: mean\nmodels: [a.safetensors, b.safetensors]\n');
  const r = await runMerge(await resolveRecipe(recipe, dir), silentContext(), { io, workspace: ws });
  return { runDir: r.runDir!, out: r.output.path };
}

beforeAll(async () => {
  dir = tempDir('names-models');
  ws = tempDir('names-ws');
  await writeModel(path.join(dir, 'a.safetensors'), smallNet(1));
  await writeModel(path.join(dir, 'b.safetensors'), smallNet(2));
  first = await mergeDefault();
  second = await mergeDefault();
  // A training run as RunFolder records one: its checkpoints in its own folder, listed in run.json.
  const run = await RunFolder.create(ws, 'train-mlp', '{}\n', { kind: 'train', label: 'train · mlp on mnist:train' });
  mkdirSync(path.join(run.dir, 'checkpoints'));
  const checkpoints = [1, 2].map((e) => path.join(run.dir, 'checkpoints', `epoch-00${e}.safetensors`));
  for (const c of checkpoints) await copyFile(path.join(dir, 'a.safetensors'), c);
  await run.finish('succeeded', { checkpoints: checkpoints.slice(0, 1), outDir: run.dir });
  train = { dir: run.dir, checkpoints };
});

describe('naming model files by their run', () => {
  it('names a merge output by its run label and stem, and tells two default outputs apart by run id', async () => {
    expect(path.basename(first.out)).toBe(path.basename(second.out));
    const runs = await runFilesIn(ws);
    const [one] = nameModels([first.out], runs);
    expect(one).toMatchObject({ runId: path.basename(first.runDir), runLabel: 'merge · mean of a, b', short: 'merge · mean of a, b · merged' });
    const both = nameModels([first.out, second.out], runs);
    expect(both[0].short).not.toBe(both[1].short);
    expect(both[0].short).toContain(path.basename(first.runDir));
    expect(both[1].short).toContain(path.basename(second.runDir));
  });

  it('finds checkpoints by the list in run.json and by the run\'s checkpoints folder', async () => {
    const runs = await runFilesIn(ws);
    const names = nameModels(train.checkpoints, runs);
    // the second checkpoint is not listed (as while a training still runs): its folder says whose it is
    expect(names.map((n) => n.short)).toEqual(['train · mlp on mnist:train · epoch-001', 'train · mlp on mnist:train · epoch-002']);
    expect(names.every((n) => n.runId === path.basename(train.dir))).toBe(true);
  });

  it('names files of no run by file name, adding parent folders only where names collide', async () => {
    const x = path.join(ws, 'x', 'model.safetensors');
    const y = path.join(ws, 'y', 'model.safetensors');
    const alone = nameModels([x, path.join(dir, 'a.safetensors')], await runFilesIn(ws));
    expect(alone.map((n) => n.short)).toEqual(['model.safetensors', 'a.safetensors']);
    expect(alone[0].runId).toBeUndefined();
    expect(nameModels([x, y, x], []).map((n) => n.short)).toEqual(['x/model.safetensors', 'y/model.safetensors', 'x/model.safetensors']);
    // the same folder name twice: one more level up
    const deep = [path.join(ws, 'p', 'x', 'model.safetensors'), path.join(ws, 'q', 'x', 'model.safetensors')];
    expect(nameModels(deep, []).map((n) => n.short)).toEqual(['p/x/model.safetensors', 'q/x/model.safetensors']);
  });

  it('names a path it may not look up by its text alone', async () => {
    const [n] = nameModels([first.out], await runFilesIn(ws), () => false);
    expect(n).toEqual({ path: first.out, short: 'merged.safetensors' });
  });

  it('follows a renamed run, re-reading only run.json files that changed', async () => {
    await renameRun(ws, first.runDir, 'my best merge');
    const [n] = nameModels([first.out], await runFilesIn(ws));
    expect(n.short).toBe('my best merge · merged');
    // a run.json replaced with one of the same size and time is not read again: the cache keys on both
    const before = (await runFilesIn(ws)).find((r) => r.id === path.basename(second.runDir));
    const again = (await runFilesIn(ws)).find((r) => r.id === path.basename(second.runDir));
    expect(again).toBe(before);
  });

  it('skips a run.json it cannot read and names a later good one', async () => {
    const broken = path.join(ws, 'runs', '20990101-000000-broken');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'run.json'), '{ cut');
    const file = path.join(broken, 'merged.safetensors');
    expect(nameModels([file], await runFilesIn(ws))[0].short).toBe('merged.safetensors');
    writeFileSync(path.join(broken, 'run.json'), JSON.stringify({ id: '20990101-000000-broken', label: 'merge · fixed', kind: 'merge', output: { path: file } }));
    expect(nameModels([file], await runFilesIn(ws))[0].short).toBe('merge · fixed · merged');
  });

  it('shortens a long label at a word', () => {
    expect(shortLabel('merge · mean of epoch-004, epoch-005, epoch-006 and 9 more')).toBe('merge · mean of epoch-004, epoch-005…');
    expect(shortLabel('train 3')).toBe('train 3');
    expect(shortLabel('x'.repeat(60)).length).toBe(40);
  });
});
