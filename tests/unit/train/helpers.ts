// Small real datasets for trainer tests: the first N digits of mnist:train / mnist:test.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadDataset } from '../../../main/engine/data';
import type { Dataset } from '../../../main/engine/data/types';
import type { JobContext } from '../../../main/engine/job-context';

export async function mnistSubset(split: 'train' | 'test', n: number): Promise<Dataset> {
  const d = await loadDataset(`mnist:${split}`);
  const per = d.inputShape.reduce((a, b) => a * b, 1);
  return { ...d, id: `${d.id}[:${n}]`, size: n, inputs: d.inputs.slice(0, n * per), labels: d.labels.slice(0, n) };
}

export function tempDir(prefix: string): string { return mkdtempSync(path.join(tmpdir(), `ms-${prefix}-`)); }

/** A context that records metrics and can cancel itself after `cancelAfterSteps` step metrics. */
export function recordingContext(cancelAfterSteps?: number): JobContext & { steps: Record<string, unknown>[]; epochs: Record<string, unknown>[]; logs: string[] } {
  const ac = new AbortController();
  const steps: Record<string, unknown>[] = [], epochs: Record<string, unknown>[] = [], logs: string[] = [];
  return {
    signal: ac.signal, steps, epochs, logs,
    progress: () => {},
    log: (m) => { logs.push(m); },
    metric: (_name, v) => {
      if (v.kind === 'step') { steps.push(v); if (cancelAfterSteps !== undefined && steps.length >= cancelAfterSteps) ac.abort(); } else epochs.push(v);
    },
  };
}
