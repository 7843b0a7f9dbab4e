// The doctor and verify as engine jobs (what the Scheme screen's Check panel and History's Verify button
// start): results as the UI receives them, and paths outside the allowed folders refused before anything runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../main/engine/engine';
import { defaultWorkspace } from '../../../main/engine/environment';
import type { DoctorResult } from '../../../main/engine/doctor/types';
import type { VerifyResult } from '../../../main/engine/merge/verify';

const FIX = path.resolve(__dirname, '../../fixtures/merge');

describe('doctor and verify jobs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-job-'));
  const engine = createEngine(() => {}, 'cli');

  it('checks the Scheme screen\'s recipe, then verifies the merge it makes', async () => {
    const recipe = { method: 'mean', models: [0, 1, 2].map((i) => path.join(FIX, `cnn_${i}.pt`)), output: { path: path.join(dir, 'mean.safetensors') } };
    const { jobId } = await engine.call('startJob', { kind: 'doctor', params: { recipe } });
    const done = await engine.runner.wait(jobId);
    expect(done.status, done.error).toBe('succeeded');
    expect(done.title).toBe('Check cnn_0.pt, cnn_1.pt, cnn_2.pt');
    const r = done.result as DoctorResult;
    expect(r.compatibility).toMatchObject({ ok: true, method: 'mean', merged: 16, copied: 2 });
    // three SmallCNNs from three seeds: independent, so the second and third need aligning to the first
    expect(r.lineage).toMatchObject({ shared_init: [], needs_alignment: ['cnn_1.pt', 'cnn_2.pt'] });
    expect(r.verdict).toContain('independent models cnn_1.pt and cnn_2.pt need alignment first');

    const merge = await engine.call('startJob', { kind: 'merge', params: { recipe } });
    expect((await engine.runner.wait(merge.jobId)).status).toBe('succeeded');
    const v = await engine.call('startJob', { kind: 'verify', params: { output: path.join(dir, 'mean.safetensors'), search: [FIX] } });
    const verified = await engine.runner.wait(v.jobId);
    expect(verified.status, verified.error).toBe('succeeded');
    expect(verified.title).toBe('Verify mean.safetensors');
    expect(verified.result as VerifyResult).toMatchObject({ identical: true, verdict: 'verified: identical', compared: 18 });
  });

  it('in browser mode, refuses a model or a search folder outside the allowed folders', async () => {
    const served = createEngine(() => {}, 'browser');
    await expect(served.call('startJob', { kind: 'doctor', params: { models: ['/etc/passwd', path.join(FIX, 'cnn_0.pt')] } })).rejects.toThrow(/\/etc\/passwd/);
    // the output lies in the workspace (allowed); the folder to search does not
    await expect(served.call('startJob', { kind: 'verify', params: { output: path.join(defaultWorkspace(), 'mean.safetensors'), search: ['/etc'] } })).rejects.toThrow(/\/etc/);
    expect(served.runner.list()).toEqual([]);
  });
});
