// Training jobs: one run, or a pair from one initialisation (optionally coupled), through the trainer.
import type { TrainPairRequest, TrainRequest } from '../../train/options-schema';
import { trainModel, trainPair, type TrainResult } from '../../train';
import type { JobContext } from '../context';

export function trainTitle(r: TrainRequest): string {
  return `Train ${r.arch ?? 'model'} on ${r.dataset} (${r.epochs} epoch${r.epochs === 1 ? '' : 's'})`;
}

export function runTrain(request: TrainRequest, ctx: JobContext): Promise<TrainResult> {
  return trainModel(request, ctx);
}

export async function runTrainPair(request: TrainPairRequest, ctx: JobContext): Promise<{ a: TrainResult; b: TrainResult }> {
  const [a, b] = await trainPair(request, ctx);
  return { a, b };
}
