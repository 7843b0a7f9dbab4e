// Training jobs: one run, or a pair from one initialisation (optionally coupled), through the trainer.
import type { TrainPairRequest, TrainRequest } from '../../train/options-schema';
import { trainModel, trainPair, type TrainResult } from '../../train';
import type { JobContext } from '../../job-context';
import { defaultWorkspace } from '../../environment';
import { describeSweep, sweepLeftovers } from '../../workspace/leftovers';

export function trainTitle(r: TrainRequest): string {
  return `Train ${r.arch ?? 'model'} on ${r.dataset} (${r.epochs} epoch${r.epochs === 1 ? '' : 's'})`;
}

/** Before a run from the app: the workspace's leftovers of a killed process (the run folder's own are swept by the trainer). */
async function sweepWorkspace(ctx: JobContext): Promise<void> {
  const line = describeSweep(await sweepLeftovers({ workspace: defaultWorkspace() }));
  if (line) ctx.log(line);
}

export async function runTrain(request: TrainRequest, ctx: JobContext): Promise<TrainResult> {
  await sweepWorkspace(ctx);
  return trainModel(request, ctx);
}

export async function runTrainPair(request: TrainPairRequest, ctx: JobContext): Promise<{ a: TrainResult; b: TrainResult }> {
  await sweepWorkspace(ctx);
  const [a, b] = await trainPair(request, ctx);
  return { a, b };
}
