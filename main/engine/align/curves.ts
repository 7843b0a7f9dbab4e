// Interpolation curves between a reference and another model for each alignment (none, weight, activation),
// optionally with BatchNorm repair of every interpolated state: what `merge-studio curve` prints and the Align
// screen previews. Built on evaluate/curve.ts; the barrier is its loss barrier.
import type { Dataset } from '../data/types';
import { interpolationCurve } from '../evaluate/curve';
import { silentContext, type JobContext } from '../job-context';
import type { Net } from '../models/load-net';
import type { StateDict } from '../models/types';
import { alignNets, type AlignMethod, type ModelAlignment } from './align';
import { hasBatchNorm, layerStatistics, mixStats, repairState, resetBatchNorm, type RepairMethod } from './repair';

export interface AlignedCurvesOptions {
  aligns: AlignMethod[];
  steps?: number;
  alphas?: number[];
  repair?: RepairMethod;
  /** Data for activation matching and repair (a training sample); the curve itself is measured on `data`. */
  sample?: Dataset;
  samples?: number;
  seed?: number;
  threads?: number;
}

export interface AlignedCurves {
  alphas: number[];
  curves: Record<string, { accuracy: number[]; loss: number[] }>;
  /** Loss barrier per alignment: max over α of loss(α) − the line between the endpoints' losses. */
  barriers: Record<string, number>;
  accuracyBarriers: Record<string, number>;
  repair: RepairMethod;
  alignment: Record<string, ModelAlignment>;
}

/** How each interpolated state is repaired (undefined: not at all). */
async function repairHook(a: Net, b: StateDict, method: RepairMethod, sample: Dataset | undefined, o: AlignedCurvesOptions, ctx: JobContext): Promise<((s: StateDict, alpha: number) => Promise<StateDict>) | undefined> {
  if (method === 'none') return undefined;
  if (!sample) throw new Error(`BatchNorm repair (${method}) needs a data sample: give one (e.g. mnist:train)`);
  const ro = { samples: o.samples, threads: o.threads };
  if (method === 'reset') return (s) => resetBatchNorm(a.graph, s, sample, ro);
  const statsA = await layerStatistics(a.graph, a.state, sample, ro), statsB = await layerStatistics(a.graph, b, sample, ro);
  return (s, alpha) => repairState(a.graph, s, mixStats([statsA, statsB], [1 - alpha, alpha]), sample, ro, silentContext(ctx.signal));
}

export async function alignedCurves(a: Net, b: Net, data: Dataset, o: AlignedCurvesOptions, ctx: JobContext = silentContext()): Promise<AlignedCurves> {
  const repair = o.repair ?? 'none';
  if (repair === 'reset' && !hasBatchNorm(a.graph)) ctx.log('the models have no BatchNorm: --repair reset changes nothing (REPAIR rescaling is --repair repair)');
  const out: AlignedCurves = { alphas: [], curves: {}, barriers: {}, accuracyBarriers: {}, repair, alignment: {} };
  for (const method of o.aligns) {
    const { states, report } = await alignNets(a, [b], { method, dataset: o.sample, samples: o.samples, seed: o.seed, threads: o.threads }, ctx);
    const prepare = await repairHook(a, states[0], repair, o.sample, o, ctx);
    ctx.log(`curve: ${method} alignment${prepare ? `, ${repair} at every α` : ''}`);
    const c = await interpolationCurve(a.graph, a.state, states[0], data, { steps: o.steps, alphas: o.alphas, threads: o.threads, prepare }, ctx);
    out.alphas = c.alphas;
    out.curves[method] = { accuracy: c.accuracy, loss: c.loss };
    out.barriers[method] = c.barrier.loss;
    out.accuracyBarriers[method] = c.barrier.accuracy;
    out.alignment[method] = report.models[0];
    ctx.metric('curve', { method, alphas: c.alphas, accuracy: c.accuracy, loss: c.loss, barrier: c.barrier.loss });
  }
  return out;
}
