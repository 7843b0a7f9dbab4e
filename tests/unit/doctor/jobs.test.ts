// The doctor and verify as engine jobs (what the Scheme screen's Check panel and History's Verify button
// start): results as the UI receives them, each recorded as a run of the workspace (label, inputs by SHA-256,
// status; a check that cannot run recorded as failed with its error), and paths outside the allowed folders
// refused before anything runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../main/engine/engine';
import { defaultWorkspace } from '../../../main/engine/environment';
import type { DoctorResult } from '../../../main/engine/doctor/types';
import { silentContext } from '../../../main/engine/job-context';
import { doctorAsRun } from '../../../main/engine/jobs/kinds/doctor';
import type { VerifyResult } from '../../../main/engine/merge/verify';
import { runRecord, runsListed, sha256Of } from '../cli/runs-listed';

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
    // a doctor run of the workspace, listed by `runs --json`: its label, the models by SHA-256, doctor.json
    const models = recipe.models;
    const doctorRun = (await runsListed(defaultWorkspace())).find((x) => x.dir === (r as DoctorResult & { runDir: string }).runDir)!;
    expect(doctorRun).toMatchObject({ kind: 'doctor', label: 'doctor · cnn_0, cnn_1, cnn_2', status: 'succeeded', inputs: models });
    expect(runRecord(doctorRun.dir)).toMatchObject({ ok: true, verdict: r.verdict, inputs: models.map((m) => ({ path: m, sha256: sha256Of(m) })) });
    expect(JSON.parse(fs.readFileSync(path.join(doctorRun.dir, 'doctor.json'), 'utf8')).verdict).toBe(r.verdict);

    const merge = await engine.call('startJob', { kind: 'merge', params: { recipe } });
    expect((await engine.runner.wait(merge.jobId)).status).toBe('succeeded');
    const v = await engine.call('startJob', { kind: 'verify', params: { output: path.join(dir, 'mean.safetensors'), search: [FIX] } });
    const verified = await engine.runner.wait(v.jobId);
    expect(verified.status, verified.error).toBe('succeeded');
    expect(verified.title).toBe('Verify mean.safetensors');
    expect(verified.result as VerifyResult).toMatchObject({ identical: true, verdict: 'verified: identical', compared: 18 });
    const verifyRun = (await runsListed(defaultWorkspace())).find((x) => x.dir === (verified.result as { runDir: string }).runDir)!;
    expect(verifyRun).toMatchObject({ kind: 'verify', label: 'verify · mean.safetensors', status: 'succeeded', title: 'Verify mean.safetensors: identical' });
    // History's Delete removes it like any run
    await engine.call('deleteRun', { dir: doctorRun.dir });
    expect(fs.existsSync(doctorRun.dir)).toBe(false);
    expect((await runsListed(defaultWorkspace())).some((x) => x.dir === doctorRun.dir)).toBe(false);
    expect(runRecord(verifyRun.dir)).toMatchObject({ result: 'identical', inputs: [{ path: path.join(dir, 'mean.safetensors'), sha256: sha256Of(path.join(dir, 'mean.safetensors')), role: 'output' }, ...models.map((m) => ({ path: m, sha256: sha256Of(m), role: 'model' }))] });
  });

  it('records a check that cannot run as a failed run, with its error', async () => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-ws-'));
    const recipe = { method: 'no-such-method', models: [0, 1].map((i) => path.join(FIX, `cnn_${i}.pt`)) };
    const thrown = await doctorAsRun({ recipe }, silentContext(), { workspace }).catch((e: Error) => e);
    expect(thrown).toBeInstanceOf(Error);
    const [listed, ...others] = await runsListed(workspace);
    expect(others).toEqual([]);
    expect(listed).toMatchObject({ kind: 'doctor', label: 'doctor · cnn_0, cnn_1', status: 'failed', error: (thrown as Error).message });
    expect(fs.existsSync(path.join(listed.dir, 'doctor.json'))).toBe(false);
  });

  it('in browser mode, refuses a model or a search folder outside the allowed folders', async () => {
    const served = createEngine(() => {}, 'browser');
    await expect(served.call('startJob', { kind: 'doctor', params: { models: ['/etc/passwd', path.join(FIX, 'cnn_0.pt')] } })).rejects.toThrow(/\/etc\/passwd/);
    // the output lies in the workspace (allowed); the folder to search does not
    await expect(served.call('startJob', { kind: 'verify', params: { output: path.join(defaultWorkspace(), 'mean.safetensors'), search: ['/etc'] } })).rejects.toThrow(/\/etc/);
    expect(served.runner.list()).toEqual([]);
  });
});
