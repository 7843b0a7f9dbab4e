// A merge job as the Run screen sees it: its title names the method as users know it, and its progress
// says what the numbers are — bytes read of the inputs, and how many inputs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobSummary, StudioEvent } from '../../../main/engine/api';
import { createEngine } from '../../../main/engine/engine';
import { inspectModel } from '../../../main/engine/inspect';
import { progressText } from '../../../renderer/src/components/format';

const FIX = path.resolve(__dirname, '../../fixtures/merge');

async function merge(recipe: Record<string, unknown>): Promise<JobSummary[]> {
  const seen: JobSummary[] = [];
  const engine = createEngine((e: StudioEvent) => { if (e.type === 'job') seen.push(e.job); }, 'cli');
  const { jobId } = await engine.call('startJob', { kind: 'merge', params: { recipe } });
  const final = await engine.runner.wait(jobId);
  expect(final.status, final.error).toBe('succeeded');
  return seen.filter((j) => j.id === jobId);
}

describe('merge job progress', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-job-'));

  it('mean of three: "read … of … from 3 inputs", ending at the total of the inputs\' bytes', async () => {
    const events = await merge({ method: 'mean', models: [0, 1, 2].map((i) => path.join(FIX, `cnn_${i}.pt`)), output: { path: path.join(dir, 'mean.safetensors') } });
    const last = events.at(-1)!;
    expect(last.title).toBe('Merge 3 models with Mean → mean.safetensors');
    expect(last.label).toBe('read {done} of {total} from 3 inputs');
    expect(last.unit).toBe('bytes');
    expect(last.done).toBe(last.total);
    // every float tensor is read from the three inputs; the integer counters are copied from the first
    const info = await inspectModel(path.join(FIX, 'cnn_0.pt'));
    const bytes = (t: { dtype: string; shape: number[] }) => t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'i64' ? 8 : 4);
    expect(last.total).toBe(info.tensors.reduce((a, t) => a + (t.dtype === 'i64' ? 1 : 3) * bytes(t), 0));
    expect(progressText(last)).toMatch(/^read \d+\.\d KB of \d+\.\d KB from 3 inputs$/);
    expect(events.some((e) => e.label === 'opening 3 inputs')).toBe(true);
  });

  it('TIES counts its base among the inputs and names it in the title', async () => {
    const events = await merge({ method: 'ties', models: [1, 2].map((i) => path.join(FIX, `cnn_${i}.pt`)), base: path.join(FIX, 'cnn_0.pt'), output: { path: path.join(dir, 'ties.safetensors') } });
    const last = events.at(-1)!;
    expect(last.title).toBe('Merge 2 models onto base cnn_0.pt with TIES → ties.safetensors');
    expect(last.label).toBe('read {done} of {total} from 3 inputs');
  });

  it('progressText without a label', () => {
    expect(progressText({ done: 3, total: 10 })).toBe('3 / 10');
    expect(progressText({ done: 1536, total: 38797312, unit: 'bytes', label: 'read {done} of {total} from 3 inputs' })).toBe('read 1.5 KB of 37.0 MB from 3 inputs');
  });
});
