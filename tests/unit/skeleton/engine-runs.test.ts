// Jobs started through the engine's API (the UI's way in) are runs of the workspace: an alignment without an
// output folder, a merge whose recipe names no output, a training into a folder of the user's; the history lists
// them, renameRun names them; a file or folder that exists is refused unless the request says overwrite.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../main/engine/engine';

const FIX = path.resolve(__dirname, '../../fixtures');
const saved = process.env.MERGE_STUDIO_WORKSPACE;
let ws: string, engine: Engine;

beforeAll(() => {
  ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ms-engine-runs-')));
  process.env.MERGE_STUDIO_WORKSPACE = ws;
  engine = createEngine(() => {}, 'cli');
});
afterAll(() => { process.env.MERGE_STUDIO_WORKSPACE = saved; });

async function job(params: unknown) {
  const { jobId } = await engine.call('startJob', params as never);
  return engine.runner.wait(jobId);
}
const mergeJob = (output?: Record<string, unknown>) => job({
  kind: 'merge', params: { recipe: { method: 'mean', models: [0, 1].map((i) => `${FIX}/merge/cnn_${i}.pt`), ...(output ? { output } : {}) } },
});

describe('jobs from the API are runs of the workspace', () => {
  it('a merge without an output path writes into its own run folder each time; a path that exists needs overwrite', async () => {
    const [first, second] = [await mergeJob(), await mergeJob()];
    const outs = [first, second].map((j) => (j.result as { output: { path: string }; runDir: string }));
    expect(first.status).toBe('succeeded');
    for (const o of outs) expect(o.output.path).toBe(path.join(o.runDir, 'merged.safetensors'));
    expect(outs[0].runDir).not.toBe(outs[1].runDir);
    expect(first.done).toBe(first.total);

    const file = path.join(ws, 'mine.safetensors');
    expect((await mergeJob({ path: file })).status).toBe('succeeded');
    const refused = await mergeJob({ path: file });
    expect(refused).toMatchObject({ status: 'failed', error: expect.stringMatching(/mine\.safetensors exists; nothing was replaced/) });
    expect((await mergeJob({ path: file, overwrite: true })).status).toBe('succeeded');
  }, 60_000);

  it('an alignment without an output folder is a run, listed, renamed and deleted like the others', async () => {
    const j = await job({ kind: 'align', params: { reference: `${FIX}/align/mlp_a.safetensors`, others: [`${FIX}/align/mlp_b.safetensors`], method: 'weight' } });
    expect(j.status, j.error).toBe('succeeded');
    const runDir = (j.result as { runDir: string }).runDir;
    expect(fs.existsSync(path.join(runDir, 'mlp_b.aligned.safetensors'))).toBe(true);
    const listed = (await engine.call('listRuns', {})).find((r) => r.dir === runDir)!;
    expect(listed).toMatchObject({ kind: 'align', status: 'succeeded', label: 'align · mlp_b to mlp_a (weight)', outputs: [path.join(runDir, 'mlp_b.aligned.safetensors')] });
    expect(await engine.call('renameRun', { dir: runDir, label: 'the MLP pair, lined up' })).toMatchObject({ id: path.basename(runDir), label: 'the MLP pair, lined up' });
    expect((await engine.call('listRuns', { query: 'lined up' })).map((r) => r.dir)).toEqual([runDir]);
    await expect(engine.call('renameRun', { dir: '/etc', label: 'x' })).rejects.toThrow(/is not a run folder/);
    expect(await engine.call('deleteRun', { dir: runDir })).toEqual({ deleted: true });
  }, 60_000);

  it('a training into a folder of the user\'s is recorded in the workspace; that folder again needs overwrite', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-engine-train-'));
    const params = { arch: 'mlp', hidden: [4], dataset: 'mnist:val', epochs: 1, batchSize: 100, optimizer: 'sgd', lr: 0.1, seed: 0, outDir: out, threads: 1 };
    const j = await job({ kind: 'train', params });
    expect(j.status, j.error).toBe('succeeded');
    const linked = (await engine.call('listRuns', {})).filter((r) => r.kind === 'train');
    expect(linked).toHaveLength(1);
    expect(linked[0]).toMatchObject({ status: 'succeeded', label: 'train · mlp on mnist:val', outputs: [path.join(out, 'model.onnx')] });
    expect(path.dirname(linked[0].dir)).toBe(path.join(ws, 'runs'));
    expect((await engine.call('readRun', { dir: linked[0].dir })).steps.length).toBe(10); // its curve, from the user's folder
    expect(await job({ kind: 'train', params })).toMatchObject({ status: 'failed', error: expect.stringMatching(/holds an earlier run's files/) });
    expect((await job({ kind: 'train', params: { ...params, overwrite: true } })).status).toBe('succeeded');
  }, 60_000);
});
