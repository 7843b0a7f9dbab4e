// The run history over run folders as the engine writes them: newest first, any status (a killed run is
// "interrupted"), a damaged run.json listed as unreadable, search by words, a run read back, delete only there.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deleteRun, listRuns, readRun, renameRun } from '../../../main/engine/compare/history';
import { tempDir } from '../train/helpers';

function run(ws: string, name: string, record: Record<string, unknown> | string, files: Record<string, string> = {}) {
  const dir = path.join(ws, 'runs', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'run.json'), typeof record === 'string' ? record : JSON.stringify(record));
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}

describe('run history', () => {
  const ws = tempDir('hist');
  const train = run(ws, '20260101-100000-train-mlp', {
    kind: 'train', status: 'completed', startedAt: new Date(2026, 0, 1, 10).toISOString(), arch: 'mlp', dataset: 'mnist:train', epochsPlanned: 2,
    epochs: [{ epoch: 1, loss: 0.5, accuracy: 0.8, evalAccuracy: 0.85 }, { epoch: 2, loss: 0.3, accuracy: 0.9, evalAccuracy: 0.9 }],
    checkpoints: ['/x/checkpoints/epoch-001.safetensors'], model: '/x/model.onnx',
  }, { 'metrics.jsonl': '{"kind":"step","step":1,"loss":2.3}\n{"kind":"step","step":2,"loss":1.9}\n{"kind":"epoch"\n' });
  const merge = run(ws, '20260101-110000-mean', {
    kind: 'merge', status: 'interrupted', startedAt: new Date(2026, 0, 1, 11).toISOString(), method: 'mean', inputs: ['/x/a.pt', '/x/b.pt'], output: '/x/out.safetensors',
  }, { 'recipe.yaml': 'method: mean\n', 'log.txt': 'a\nb\n' });
  run(ws, '20260101-120000-broken', '{ not json');
  fs.mkdirSync(path.join(ws, 'runs', 'not-a-run'));

  it('lists every run newest first, with the status it has, the damaged one as unreadable', async () => {
    const runs = await listRuns(ws);
    expect(runs.map((r) => [r.name, r.kind, r.status])).toEqual([
      ['20260101-120000-broken', 'unknown', 'unreadable'],
      ['20260101-110000-mean', 'merge', 'interrupted'],
      ['20260101-100000-train-mlp', 'train', 'completed'],
    ]);
    expect(runs[1]).toMatchObject({ title: 'mean of 2 models → out.safetensors', inputs: ['/x/a.pt', '/x/b.pt'], outputs: [] }); // not succeeded: no output
    expect(runs[2]).toMatchObject({ title: 'mlp on mnist:train, 2/2 epochs', accuracy: 0.9, outputs: ['/x/checkpoints/epoch-001.safetensors', '/x/model.onnx'] });
    expect(runs[1]).toMatchObject({ id: '20260101-110000-mean', label: 'merge · mean of 2 models → out.safetensors' }); // an old record: no label of its own
    expect((await listRuns(ws, 'interrupted mean')).map((r) => r.dir)).toEqual([merge]);
    expect(await listRuns(ws, 'nothing-like-this')).toEqual([]);
  });

  it('reads a run back: record, recipe, log, training curve (a cut last line skipped), files', async () => {
    const d = await readRun(ws, train);
    expect(d.steps).toEqual([{ step: 1, loss: 2.3, accuracy: undefined }, { step: 2, loss: 1.9, accuracy: undefined }]);
    expect(d.epochs).toHaveLength(2);
    expect(d.files.map((f) => f.name)).toEqual(['metrics.jsonl', 'run.json']);
    const m = await readRun(ws, merge);
    expect(m.recipeYaml).toBe('method: mean\n');
    expect(m.log).toEqual(['a', 'b']);
    await expect(readRun(ws, '/etc')).rejects.toThrow(/is not a run folder of the workspace/);
  });

  it('renames a run: the label is written to run.json and found by search; a running run, an empty label or a folder elsewhere are refused', async () => {
    const r = await renameRun(ws, train, '  baseline   mlp  ');
    expect(r).toMatchObject({ id: '20260101-100000-train-mlp', label: 'baseline mlp', kind: 'train' });
    expect(JSON.parse(fs.readFileSync(path.join(train, 'run.json'), 'utf8'))).toMatchObject({ label: 'baseline mlp', arch: 'mlp', status: 'completed' });
    expect((await listRuns(ws, 'baseline')).map((x) => x.dir)).toEqual([train]);
    await expect(renameRun(ws, train, '   ')).rejects.toThrow(/needs some text/);
    await expect(renameRun(ws, train, 'x'.repeat(201))).rejects.toThrow(/at most 200 characters/);
    await expect(renameRun(ws, '/etc', 'x')).rejects.toThrow(/is not a run folder/);
    const busy = run(ws, '20260101-130000-busy', { kind: 'align', status: 'running', pid: process.pid, host: 'elsewhere', label: 'align · b to a (weight)', inputs: [{ path: '/x/a.pt', sha256: 'ab' }] });
    await expect(renameRun(ws, busy, 'new')).rejects.toThrow(/still running/);
    expect((await listRuns(ws, 'align')).map((x) => [x.kind, x.label, x.inputs])).toEqual([['align', 'align · b to a (weight)', ['/x/a.pt']]]);
    fs.rmSync(busy, { recursive: true });
  });

  it('reads a training run whose files went to a folder of the user\'s: its curve from that folder', async () => {
    const out = tempDir('hist-out');
    fs.writeFileSync(path.join(out, 'metrics.jsonl'), '{"kind":"step","step":1,"loss":1.5}\n');
    const linked = run(ws, '20260101-090000-train-mlp', { kind: 'train', status: 'succeeded', label: 'train · mlp on mnist:val', outDir: out, arch: 'mlp', dataset: 'mnist:val', epochs: [], epochsPlanned: 1 });
    expect((await readRun(ws, linked)).steps).toEqual([{ step: 1, loss: 1.5, accuracy: undefined }]);
    await deleteRun(ws, linked);
    expect(fs.existsSync(path.join(out, 'metrics.jsonl'))).toBe(true); // the user's folder stays
  });

  it('deletes a run folder of the workspace and nothing else', async () => {
    await expect(deleteRun(ws, path.join(ws, 'runs', 'not-a-run'))).rejects.toThrow(/holds no run.json/);
    await expect(deleteRun(ws, ws)).rejects.toThrow(/is not a run folder/);
    await expect(deleteRun(ws, path.join(ws, 'runs', '..', 'runs', '20260101-110000-mean', '..', '..'))).rejects.toThrow(/is not a run folder/);
    await deleteRun(ws, merge);
    expect(fs.existsSync(merge)).toBe(false);
    expect((await listRuns(ws)).map((r) => r.name)).not.toContain('20260101-110000-mean');
  });
});
