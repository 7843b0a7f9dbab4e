// Checks on TrainOptions before anything is loaded, and what the options say once resolved
// (the optimiser's config, the datasets).
import type { OptimizerConfig } from '../autodiff/optimizers';
import { loadDataset } from '../data';
import type { Dataset } from '../data/types';
import type { JobContext } from '../job-context';
import type { TrainOptions } from './types';

/** Throws on options no run could start from, naming the option. */
export function validateOptions(o: TrainOptions): void {
  const bad = (what: string) => { throw new Error(`invalid training options: ${what}`); };
  if (!o.arch && !o.modelFile) bad('give an architecture (--arch) or a model file');
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) bad(`epochs must be a positive integer, got ${o.epochs}`);
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1)) bad(`batch size must be a positive integer, got ${o.batchSize}`);
  if (!(o.lr > 0 && Number.isFinite(o.lr))) bad(`learning rate must be a positive number, got ${o.lr}`);
  if (o.keepFrom !== undefined && !(Number.isInteger(o.keepFrom) && o.keepFrom >= 1)) bad(`keep-from must be an epoch number ≥ 1, got ${o.keepFrom}`);
  if (o.checkpointEverySteps !== undefined && !(Number.isInteger(o.checkpointEverySteps) && o.checkpointEverySteps >= 1)) bad(`checkpoint-every-steps must be a positive integer, got ${o.checkpointEverySteps}`);
  if (o.orderFile !== undefined && o.shuffle === false) bad('give an order file or no shuffling, not both (the file sets the order)');
  if (o.stepsPerCall !== undefined && !(Number.isInteger(o.stepsPerCall) && o.stepsPerCall >= 1)) bad(`steps per call must be ≥ 1, got ${o.stepsPerCall}`);
}

export function optimizerConfig(o: TrainOptions): OptimizerConfig {
  return { type: o.optimizer, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay, beta1: o.beta1, beta2: o.beta2 };
}

export async function resolveDataset(d: string | Dataset, ctx: JobContext): Promise<Dataset> {
  return typeof d === 'string' ? loadDataset(d, ctx) : d;
}
