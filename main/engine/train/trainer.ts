// The trainer's entry points: train one model (trainModel), or drive RunTrainers yourself (a coupled pair,
// see pair.ts). The parts live beside it: run-trainer.ts (one run), loop.ts (epochs in lockstep),
// schedule.ts, checkpoint.ts, run-log.ts (run.json), starting-weights.ts, options.ts.
import type { JobContext } from '../job-context';
import { driveLockstep } from './loop';
import { RunTrainer } from './run-trainer';
import type { TrainOptions, TrainResult } from './types';

export { RunTrainer, driveLockstep };
export { TrainingDivergedError, type Coupling, type EpochRecord, type TrainOptions, type TrainResult } from './types';

/**
 * Train one model. Writes DIR/model.onnx, DIR/checkpoints/epoch-NNN.safetensors (kept epochs),
 * DIR/init.safetensors, DIR/metrics.jsonl and DIR/run.json. Throws CancelledError when cancelled and
 * TrainingDivergedError on a NaN loss, after marking run.json and keeping the last good weights.
 */
export async function trainModel(options: TrainOptions, ctx: JobContext): Promise<TrainResult> {
  const t = await RunTrainer.create(options, ctx);
  const [r] = await driveLockstep([t], ctx);
  return r;
}
