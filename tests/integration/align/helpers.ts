// Two models of one architecture trained from different seeds on mnist:train, once per test file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentContext } from '../../../main/engine/job-context';
import { trainModel, type TrainOptions } from '../../../main/engine/train';

export async function trainPairOfSeeds(name: string, o: Omit<TrainOptions, 'seed' | 'outDir' | 'dataset'>, seeds = [1, 2]): Promise<string[]> {
  const files: string[] = [];
  for (const seed of seeds) {
    const outDir = mkdtempSync(path.join(tmpdir(), `ms-align-${name}-${seed}-`));
    const r = await trainModel({ ...o, dataset: 'mnist:train', seed, outDir, keepFrom: o.epochs }, silentContext());
    if (r.status !== 'completed') throw new Error(`training ${name} seed ${seed}: ${r.status} ${r.error ?? ''}`);
    files.push(r.checkpoints[r.checkpoints.length - 1]);
  }
  return files;
}

export const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
