// The files of a training run directory, written atomically (temp file + rename).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describeWriteError } from '../files/disk-errors';
import { makeFolder } from '../files/make-folder';
import { writeFileAtomic } from '../files/writeAtomic';

export const runPaths = (dir: string) => ({
  model: path.join(dir, 'model.onnx'),
  init: path.join(dir, 'init.safetensors'),
  runJson: path.join(dir, 'run.json'),
  metrics: path.join(dir, 'metrics.jsonl'),
  checkpoints: path.join(dir, 'checkpoints'),
  checkpoint: (epoch: number) => path.join(dir, 'checkpoints', `epoch-${String(epoch).padStart(3, '0')}.safetensors`),
  /** The checkpoint after `step` optimiser steps (checkpointEverySteps). */
  stepCheckpoint: (step: number) => path.join(dir, 'checkpoints', `step-${String(step).padStart(6, '0')}.safetensors`),
});

/** The run folder and its checkpoints/ folder; a failure names the folder and why (a file in the way, no permission). */
export async function makeRunFolder(dir: string): Promise<void> {
  await makeFolder(dir, 'the run folder');
  await makeFolder(runPaths(dir).checkpoints, 'the checkpoints folder');
}

/** Whole-file write through a temp file (swept if we die mid-write); errors name the file and the space needed. */
export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await writeFileAtomic(file, data, { mkdir: false });
}

/** Appends JSON lines to metrics.jsonl (append is atomic enough per line for a log). */
export class MetricsLog {
  constructor(private readonly file: string) {}
  async append(records: Record<string, unknown>[]): Promise<void> {
    if (!records.length) return;
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    try {
      await fs.appendFile(this.file, text);
    } catch (e) {
      throw describeWriteError(this.file, e, Buffer.byteLength(text), 'the lines written before stay');
    }
  }
}
