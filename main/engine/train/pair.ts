// Two runs from one initialisation, stepping in lockstep; optionally coupled by λ‖w_A − w_B‖²
// (each sees the other's weights from before the current round of K steps as a fixed input).
import type { JobContext } from '../job-context';
import { driveLockstep, RunTrainer, type Coupling, type TrainOptions, type TrainResult } from './trainer';

export interface PairOptions {
  a: TrainOptions;
  b: TrainOptions;
  /** λ for every parameter, with optional per-tensor overrides; absent = independent runs from one init. */
  coupling?: Coupling;
}

export async function trainPair(options: PairOptions, ctx: JobContext): Promise<[TrainResult, TrainResult]> {
  // Each run's metrics and logs carry its name, so live charts can tell the two apart.
  const tagged = (run: 'a' | 'b'): JobContext => ({
    ...ctx,
    metric: (name, value) => ctx.metric(name, { ...value, run }),
    log: (message) => ctx.log(`run ${run.toUpperCase()}: ${message}`),
  });
  const a = await RunTrainer.create(options.a, tagged('a'), { coupling: options.coupling });
  const b = await RunTrainer.create(options.b, tagged('b'), { coupling: options.coupling, initState: options.b.initFrom ? undefined : a.currentState() });
  const layout = (t: RunTrainer) => t.model.tensors.map((x) => `${x.name}:${x.shape.join('x')}`).join(',');
  if (options.coupling && layout(a) !== layout(b)) {
    throw new Error('coupled training needs two models with the same parameters (same architecture, widths and input shape); these differ');
  }
  const trainers = [a, b];
  const [ra, rb] = await driveLockstep(trainers, ctx, options.coupling ? (i) => trainers[1 - i].params : undefined);
  return [ra, rb];
}
