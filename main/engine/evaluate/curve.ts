// Linear interpolation curves between two models of one layout: accuracy and loss at each α of
// θ(α) = (1 − α)·θ_A + α·θ_B, and the loss barrier — max over α of loss(α) minus the straight line between the
// endpoints' losses (Frankle et al. 2020; Ainsworth et al. 2022). A `prepare` step (e.g. BatchNorm repair)
// may rework each interpolated state before it is evaluated.
import { silentContext, throwIfCancelled, type JobContext } from '../job-context';
import type { Dataset } from '../data/types';
import { lerpStates } from '../models/state';
import { netModel } from '../models/load-net';
import type { ArchitectureGraph, StateDict } from '../models/types';
import { evaluateModel } from './evaluate-model';

export interface CurveOptions {
  /** α values, in [0, 1] (default: `steps` evenly spaced from 0 to 1). */
  alphas?: number[];
  /** Number of α values when `alphas` is not given (default 11, i.e. 0, 0.1, …, 1). */
  steps?: number;
  batchSize?: number;
  threads?: number;
  /** Reworks each interpolated state before evaluation (BatchNorm repair); not applied at α = 0 and 1 unless `prepareEnds`. */
  prepare?: (state: StateDict, alpha: number) => Promise<StateDict>;
  prepareEnds?: boolean;
}

export interface Barrier {
  /** max over α of loss(α) − ((1 − α)·loss(0) + α·loss(1)); 0 or less means no barrier. */
  loss: number;
  /** Where it is reached. */
  alpha: number;
  /** The same for accuracy: max over α of the straight line's accuracy minus acc(α). */
  accuracy: number;
}

export interface Curve {
  alphas: number[];
  accuracy: number[];
  loss: number[];
  barrier: Barrier;
}

export function evenAlphas(steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 2) throw new RangeError(`steps must be an integer ≥ 2 (both endpoints), got ${steps}`);
  return Array.from({ length: steps }, (_, i) => (i === steps - 1 ? 1 : i / (steps - 1)));
}

/** The barrier of a curve whose first and last α are 0 and 1. */
export function barrierOf(alphas: number[], loss: number[], accuracy: number[]): Barrier {
  const n = alphas.length;
  if (n < 2 || alphas[0] !== 0 || alphas[n - 1] !== 1) throw new Error('a barrier needs the curve\'s endpoints α = 0 and α = 1');
  let best = { loss: -Infinity, alpha: 0, accuracy: -Infinity };
  for (let i = 0; i < n; i++) {
    const a = alphas[i];
    const lossGap = loss[i] - ((1 - a) * loss[0] + a * loss[n - 1]);
    const accGap = (1 - a) * accuracy[0] + a * accuracy[n - 1] - accuracy[i];
    if (lossGap > best.loss) best = { ...best, loss: lossGap, alpha: a };
    if (accGap > best.accuracy) best.accuracy = accGap;
  }
  return best;
}

export async function interpolationCurve(graph: ArchitectureGraph, a: StateDict, b: StateDict, data: Dataset, o: CurveOptions = {}, ctx: JobContext = silentContext()): Promise<Curve> {
  const alphas = o.alphas ?? evenAlphas(o.steps ?? 11);
  for (const x of alphas) if (!(x >= 0 && x <= 1)) throw new RangeError(`α must lie in [0, 1], got ${x}`);
  const accuracy: number[] = [], loss: number[] = [];
  const sessionOptions = o.threads ? { intraOpNumThreads: o.threads } : undefined;
  for (let i = 0; i < alphas.length; i++) {
    throwIfCancelled(ctx);
    const alpha = alphas[i];
    let state = alpha === 0 ? a : alpha === 1 ? b : lerpStates(a, b, alpha);
    if (o.prepare && (o.prepareEnds || (alpha !== 0 && alpha !== 1))) state = await o.prepare(state, alpha);
    const r = await evaluateModel(netModel({ graph, state }), data, { batchSize: o.batchSize, sessionOptions });
    accuracy.push(r.accuracy); loss.push(r.loss);
    ctx.progress({ done: i + 1, total: alphas.length, unit: 'points', message: `α = ${alpha.toFixed(2)}: accuracy ${(100 * r.accuracy).toFixed(1)} %` });
  }
  const ends = alphas[0] === 0 && alphas[alphas.length - 1] === 1;
  return { alphas, accuracy, loss, barrier: ends ? barrierOf(alphas, loss, accuracy) : { loss: NaN, alpha: NaN, accuracy: NaN } };
}
