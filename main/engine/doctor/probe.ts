// The doctor's cheap probe: each model, their plain mean (the naive midpoint) and, when alignment is
// recommended, their mean after weight matching onto the first model, evaluated on the first N samples of a
// dataset. BatchNorm statistics of the midpoints are recomputed on those samples (a mean of statistics is
// not the statistics of the mean), so the probe shows what the weights do.
import { resetBatchNorm, hasBatchNorm } from '../align/repair';
import { alignNets } from '../align/align';
import { resolveModel, type ModelRef } from '../compare/models';
import { loadDataset, type Dataset } from '../data';
import { evaluateModel } from '../evaluate';
import { throwIfCancelled, type JobContext } from '../job-context';
import { netModel, type Net } from '../models/load-net';
import type { StateDict } from '../models/types';
import type { Probe, ProbeScore } from './types';

export const DEFAULT_PROBE_SAMPLES = 500;

/** The first `n` samples of `d`. */
export function firstSamples(d: Dataset, n: number): Dataset {
  if (n >= d.size) return d;
  const per = d.inputShape.reduce((a, b) => a * b, 1);
  return { ...d, id: `${d.id}[:${n}]`, size: n, inputs: d.inputs.subarray(0, n * per), labels: d.labels.subarray(0, n) };
}

/** The element-wise mean of state dicts of one layout (integer counters from the first). */
export function meanState(states: StateDict[]): StateDict {
  const out: StateDict = new Map();
  for (const [name, t] of states[0]) {
    if (t.data instanceof BigInt64Array) { out.set(name, { shape: t.shape, data: t.data.slice() }); continue; }
    const r = new Float32Array(t.data.length);
    for (const s of states) {
      const x = s.get(name)!.data as Float32Array;
      for (let i = 0; i < r.length; i++) r[i] += x[i];
    }
    for (let i = 0; i < r.length; i++) r[i] /= states.length;
    out.set(name, { shape: t.shape, data: r });
  }
  return out;
}

async function score(name: string, net: Pick<Net, 'graph'>, state: StateDict, data: Dataset): Promise<ProbeScore> {
  const r = await evaluateModel(netModel({ graph: net.graph, state }), data);
  return { name, accuracy: r.accuracy, loss: r.loss };
}

/**
 * Evaluates the models and their midpoints on the first `samples` of `dataset`. Failures (a model that
 * cannot run, data of other classes) come back as `error`, with what was measured before.
 */
export async function probeMidpoints(models: { name: string; path: string }[], o: { dataset: string; samples?: number; align: boolean; arch?: string; graph?: string }, ctx: JobContext): Promise<Probe> {
  const samples = o.samples ?? DEFAULT_PROBE_SAMPLES;
  const probe: Probe = { dataset: o.dataset, samples, models: [], bn_reset: false };
  try {
    const data = firstSamples(await loadDataset(o.dataset, ctx), samples);
    probe.samples = data.size;
    const nets: Net[] = [];
    for (const m of models) {
      throwIfCancelled(ctx);
      ctx.progress({ done: nets.length, total: models.length + 2, message: `probe: ${m.name}`, unit: 'models' });
      const ref: ModelRef = { path: m.path, ...(o.arch ? { arch: o.arch } : {}), ...(o.graph ? { graph: o.graph } : {}) };
      const net = await (await resolveModel(ref, data)).net();
      nets.push(net);
      probe.models.push(await score(m.name, net, net.state, data));
    }
    const graph = nets[0].graph;
    const bn = hasBatchNorm(graph);
    probe.bn_reset = bn;
    const fix = (s: StateDict) => (bn ? resetBatchNorm(graph, s, data, {}, ctx) : Promise.resolve(s));
    ctx.progress({ done: models.length, total: models.length + 2, message: 'probe: the naive midpoint', unit: 'models' });
    probe.naive = await score('naive midpoint', nets[0], await fix(meanState(nets.map((n) => n.state))), data);
    if (o.align && nets.length >= 2) {
      throwIfCancelled(ctx);
      ctx.progress({ done: models.length + 1, total: models.length + 2, message: 'probe: weight matching for the aligned midpoint', unit: 'models' });
      const { states } = await alignNets(nets[0], nets.slice(1), { method: 'weight' }, { ...ctx, log: () => {} });
      probe.aligned = await score('aligned midpoint', nets[0], await fix(meanState([nets[0].state, ...states])), data);
    }
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    probe.error = (e as Error).message;
  }
  return probe;
}
