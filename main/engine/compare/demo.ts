// The seed-002 experiment, headless: train seed 002's SmallCNN on the bundled MNIST (mnist:train), keep a
// checkpoint every epoch from epoch K, average the kept checkpoints with the merge engine (a merge run folder
// with the recipe and the parents' hashes), evaluate every checkpoint and the average on mnist:test, and write
// the comparison's report.html with the seed-002 chart. Defaults: 6 epochs, checkpoints 4–6 (the last three
// of six: "epochs 3–5" counted from 0), SGD with momentum 0.9, lr 0.05, batch 128, seed 0.
import path from 'node:path';
import { silentContext, type JobContext } from '../job-context';
import { runMerge } from '../merge/executor';
import { makeRunDir } from '../workspace/run-folder';
import { trainModel } from '../train/trainer';
import { runComparison } from './compare';
import type { CompareResult } from './types';

export interface DemoOptions {
  /** Where the runs go (<workspace>/runs/…). */
  workspace: string;
  epochs?: number;
  keepFrom?: number;
  seed?: number;
  /** Training data (default mnist:train; mnist:val, 1,000 digits, for a run of seconds). */
  dataset?: string;
  threads?: number;
}

export interface DemoResult {
  checkpoint_accuracy: number[];
  averaged_accuracy: number;
  mean_checkpoint_accuracy: number;
  report: string;
  epochs: number[];
  train_dir: string;
  averaged_model: string;
  merge_run?: string;
  compare_run?: string;
  seconds: number;
}

export const DEMO_DEFAULTS = { epochs: 6, keepFrom: 4, seed: 0 } as const;

export async function runDemo(o: DemoOptions, ctx: JobContext = silentContext()): Promise<DemoResult & { comparison: CompareResult }> {
  const started = Date.now();
  const epochs = o.epochs ?? DEMO_DEFAULTS.epochs;
  const keepFrom = o.keepFrom ?? (o.epochs === undefined ? DEMO_DEFAULTS.keepFrom : Math.max(1, epochs - 2));
  if (!(Number.isInteger(epochs) && epochs >= 2)) throw new Error(`--epochs must be an integer ≥ 2 (two checkpoints to average), got ${epochs}`);
  if (!(Number.isInteger(keepFrom) && keepFrom >= 1 && keepFrom < epochs)) throw new Error(`--keep-from must be an epoch from 1 to ${epochs - 1}, so that at least two checkpoints are kept; got ${keepFrom}`);
  // a new folder of its own (two demos started in one second get two)
  const trainDir = await makeRunDir(o.workspace, 'demo-train-smallcnn');
  const dataset = o.dataset ?? 'mnist:train';
  ctx.log(`training SmallCNN on ${dataset} for ${epochs} epochs, keeping checkpoints from epoch ${keepFrom} (${trainDir})`);
  const trained = await trainModel({
    arch: 'smallcnn', dataset, epochs, batchSize: 128, optimizer: 'sgd', lr: 0.05, momentum: 0.9,
    seed: o.seed ?? DEMO_DEFAULTS.seed, keepFrom, outDir: trainDir, ...(o.threads ? { threads: o.threads } : {}),
  }, { ...ctx, progress: (u) => ctx.progress({ ...u, message: `training: ${u.message ?? ''}` }) });
  if (trained.status !== 'completed') throw new Error(`training ${trained.status}${trained.error ? `: ${trained.error}` : ''}`);
  const averaged = path.join(trainDir, 'averaged.safetensors');
  ctx.log(`averaging ${trained.checkpoints.length} checkpoints with the merge engine`);
  const merged = await runMerge({
    name: `demo: mean of SmallCNN checkpoints ${keepFrom}–${epochs}`, method: 'mean',
    checkpoints: { dir: path.join(trainDir, 'checkpoints'), from_epoch: keepFrom }, output: { path: averaged },
  }, ctx, { baseDir: trainDir, workspace: o.workspace });
  ctx.log(`evaluating the ${trained.checkpoints.length} checkpoints and their average on mnist:test`);
  const comparison = await runComparison({
    models: [...trained.checkpoints.map((p) => ({ path: p })), { path: averaged, label: 'averaged' }],
    dataset: 'mnist:test', title: `Averaging SmallCNN checkpoints ${keepFrom}–${epochs} on MNIST`,
    ...(o.threads ? { threads: o.threads } : {}),
  }, ctx, { workspace: o.workspace, slug: 'demo' });
  const ckpt = comparison.rows.filter((r) => r.kind === 'model').map((r) => r.accuracy);
  const avg = comparison.rows.find((r) => r.kind === 'merge')!.accuracy;
  return {
    checkpoint_accuracy: ckpt,
    averaged_accuracy: avg,
    mean_checkpoint_accuracy: ckpt.reduce((a, b) => a + b, 0) / ckpt.length,
    report: comparison.report!,
    epochs: Array.from({ length: epochs - keepFrom + 1 }, (_, i) => keepFrom + i),
    train_dir: trainDir,
    averaged_model: averaged,
    ...(merged.runDir ? { merge_run: merged.runDir } : {}),
    ...(comparison.runDir ? { compare_run: comparison.runDir } : {}),
    seconds: (Date.now() - started) / 1000,
    comparison,
  };
}
