// The files of a training run directory, written atomically (temp file + rename).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const runPaths = (dir: string) => ({
  model: path.join(dir, 'model.onnx'),
  init: path.join(dir, 'init.safetensors'),
  runJson: path.join(dir, 'run.json'),
  metrics: path.join(dir, 'metrics.jsonl'),
  checkpoints: path.join(dir, 'checkpoints'),
  checkpoint: (epoch: number) => path.join(dir, 'checkpoints', `epoch-${String(epoch).padStart(3, '0')}.safetensors`),
});

export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC') throw new Error(`${file}: the disk is full; free some space or choose another output folder`);
    throw new Error(`${file}: cannot write (${err.message}); check the output folder is writable`);
  }
}

/** Appends JSON lines to metrics.jsonl (append is atomic enough per line for a log). */
export class MetricsLog {
  constructor(private readonly file: string) {}
  async append(records: Record<string, unknown>[]): Promise<void> {
    if (records.length) await fs.appendFile(this.file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
}
