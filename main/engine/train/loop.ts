// The training loop: runs stepped epoch by epoch, chunk by chunk, in lockstep (one run, or a coupled
// pair), with progress, cancel, and every run finished whatever happens.
import { CancelledError, type JobContext } from '../job-context';
import type { RunTrainer } from './run-trainer';
import type { TrainResult } from './types';

/** Drive trainers epoch by epoch, chunk by chunk; `partnerOf(i)` gives the coupled partner's weights. */
export async function driveLockstep(trainers: RunTrainer[], ctx: JobContext, partnerOf?: (i: number) => Map<string, Float32Array>): Promise<TrainResult[]> {
  const epochs = trainers.reduce((m, t) => Math.max(m, t.options.epochs), -Infinity);
  try {
    for (let e = 1; e <= epochs; e++) await runEpoch(trainers, e, epochs, ctx, partnerOf);
  } catch (e) {
    const status = e instanceof CancelledError ? 'cancelled' : 'failed';
    // finishing writes files too (a full disk may refuse them): the original error is the one to report
    for (const t of trainers) await t.finish(status, status === 'failed' ? (e as Error).message : undefined).catch((f) => ctx.log(`could not finish ${t.options.outDir}: ${(f as Error).message}`));
    throw e;
  }
  return Promise.all(trainers.map((t) => t.finish('completed')));
}

/** Epoch `e` of every run that has it: rounds of one chunk each until all are through, then each closes it. */
async function runEpoch(trainers: RunTrainer[], e: number, epochs: number, ctx: JobContext, partnerOf?: (i: number) => Map<string, Float32Array>): Promise<void> {
  const total = trainers.reduce((a, t) => a + t.totalSteps, 0);
  const active = trainers.filter((t) => e <= t.options.epochs);
  for (const t of active) t.beginEpoch(e);
  while (active.some((t) => t.remaining(e) > 0)) {
    if (ctx.signal.aborted) throw new CancelledError();
    // partners see each other's weights from before this round (symmetric lockstep)
    const snapshot = partnerOf ? trainers.map((_, i) => new Map(partnerOf(i))) : [];
    for (const t of active) {
      if (t.remaining(e) <= 0) continue;
      await t.runChunk(e, partnerOf ? snapshot[trainers.indexOf(t)] : undefined);
    }
    const done = trainers.reduce((a, t) => a + t.stepsDone, 0);
    ctx.progress({ done, total, unit: 'steps', message: `epoch ${e}/${epochs}` });
  }
  for (const t of active) await t.endEpoch(e);
}
