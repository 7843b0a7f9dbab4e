// BatchNorm repair of a merged (or interpolated) model, two ways:
// - 'reset': torch.optim.swa_utils.update_bn — every BatchNorm's running statistics recomputed on a data sample
//   (reset_running_stats, momentum=None: the equal-weight mean over batches of each batch's mean and unbiased
//   variance), through train/bn-stats.ts. num_batches_tracked becomes the number of batches, as there.
// - 'repair': REPAIR (Jordan et al. 2022, Train-Merge-REPAIR-VGG11): the per-channel mean and std of every hidden
//   layer's output (before its activation) in the endpoint models, interpolated with the merge's weights, become
//   the goal statistics of the merged model's layer: a BatchNorm with weight = goal std and bias = goal mean is put
//   after each such layer, all BatchNorms are reset on the sample at once, and the new ones are fused back into
//   the layer's weight and bias. Layers already followed by a BatchNorm are covered by resetting it (as REPAIR
//   does for BatchNorm networks); layers without a bias cannot take the fused shift and are left out (logged).
// Dropout runs as identity during these passes (see bn-stats.ts): update_bn keeps it on, which only matters for a
// BatchNorm placed after a Dropout, which none of our architectures has.
import type { Dataset } from '../data/types';
import { silentContext, type JobContext } from '../job-context';
import { inferenceModel } from '../models/state';
import type { ArchitectureGraph, StateDict } from '../models/types';
import { floatTensor, getAttr } from '../onnx/builder';
import type { ModelProto, NodeProto, TensorProto } from '../onnx/proto';
import { recomputeBatchNormStats } from '../train/bn-stats';


export { REPAIR_METHODS, type RepairMethod } from './methods';

export interface RepairOptions {
  /** Examples of the dataset used (default: all). */
  samples?: number;
  /** Batch size of the pass (update_bn takes its loader's; default 128). */
  batchSize?: number;
  threads?: number;
}

const EPS = 1e-5;

function f32Of(t: TensorProto): Float32Array {
  return new Float32Array(new Uint8Array(t.rawData!).slice().buffer);
}

function sample(data: Dataset, samples?: number): Dataset {
  return samples === undefined || samples >= data.size ? data : { ...data, size: samples };
}

export function hasBatchNorm(graph: ArchitectureGraph): boolean {
  return graph.nodes.some((n) => n.opType === 'BatchNormalization');
}

/** update_bn: the state with every BatchNorm's running statistics recomputed on `data`. */
export async function resetBatchNorm(graph: ArchitectureGraph, state: StateDict, data: Dataset, o: RepairOptions = {}, ctx: JobContext = silentContext()): Promise<StateDict> {
  if (!hasBatchNorm(graph)) return state;
  const d = sample(data, o.samples);
  const batchSize = Math.min(o.batchSize ?? 128, d.size);
  const m = await recomputeBatchNormStats(inferenceModel(graph, state), d, { batchSize, threads: o.threads }, ctx);
  const byName = new Map(m.graph.initializer.map((t) => [t.name, t]));
  const batches = Math.ceil(d.size / batchSize);
  const out: StateDict = new Map(state);
  for (const t of graph.tensors) {
    if (t.role === 'running_mean' || t.role === 'running_var') out.set(t.name, { shape: t.shape, data: f32Of(byName.get(t.name)!) });
    if (t.role === 'num_batches_tracked') out.set(t.name, { shape: t.shape, data: BigInt64Array.of(BigInt(batches)) });
  }
  return out;
}

/** A hidden layer REPAIR corrects: its node, weight, bias and the axis of the weight that holds its outputs. */
interface Layer { node: NodeProto; output: string; weight: string; bias: string; outAxis: number; channels: number }

/** Conv / Gemm layers whose output is hidden (not the logits) and not already normalised by a BatchNorm. */
function repairLayers(graph: ArchitectureGraph, state: StateDict, log: (m: string) => void): Layer[] {
  const consumers = new Map<string, NodeProto[]>();
  for (const n of graph.nodes) for (const x of n.input) consumers.set(x, [...(consumers.get(x) ?? []), n]);
  const reachesOutput = (v: string): boolean => v === graph.outputName || (consumers.get(v) ?? []).some((c) => c.opType === 'Identity' && reachesOutput(c.output[0]));
  const layers: Layer[] = [];
  for (const n of graph.nodes) {
    if (n.opType !== 'Conv' && n.opType !== 'Gemm') continue;
    const out = n.output[0];
    if (reachesOutput(out) || (consumers.get(out) ?? []).some((c) => c.opType === 'BatchNormalization')) continue;
    const [, w, b] = n.input;
    const ws = state.get(w)?.shape;
    if (!ws) continue;
    if (!b || !state.has(b)) { log(`REPAIR: ${w} has no bias to take the correction; left as it is`); continue; }
    const outAxis = n.opType === 'Gemm' && getAttr(n, 'transB', 0) !== 1 ? 1 : 0;
    if (n.opType === 'Gemm' && getAttr(n, 'transA', 0) !== 0) continue;
    if (n.opType === 'Conv' && getAttr(n, 'group', 1) !== 1) continue;
    layers.push({ node: n, output: out, weight: w, bias: b, outAxis, channels: ws[outAxis] });
  }
  return layers;
}

/** The model with a BatchNorm after each layer (on a renamed output), the stats names of each. */
function withTrackers(model: ModelProto, layers: Layer[], init: (l: Layer) => { weight: Float32Array; bias: Float32Array }, feedForward: boolean): { model: ModelProto; names: { mean: string; variance: string }[] } {
  const nodes: NodeProto[] = [];
  const added: TensorProto[] = [];
  const names: { mean: string; variance: string }[] = [];
  const byOutput = new Map(layers.map((l, k) => [l.output, k]));
  for (const n of model.graph.node) {
    const k = byOutput.get(n.output[0]);
    if (k === undefined) { nodes.push(n); continue; }
    const l = layers[k], p = `repair::${k}`;
    const raw = `${p}.in`;
    // feedForward: the BatchNorm's output replaces the layer's (REPAIR's ResetLayer); else it is a dead end (TrackLayer)
    nodes.push({ ...n, output: [feedForward ? raw : n.output[0], ...n.output.slice(1)] });
    const { weight, bias } = init(l);
    added.push(floatTensor(`${p}.weight`, weight, [l.channels]), floatTensor(`${p}.bias`, bias, [l.channels]),
      floatTensor(`${p}.running_mean`, new Float32Array(l.channels), [l.channels]), floatTensor(`${p}.running_var`, new Float32Array(l.channels).fill(1), [l.channels]));
    const x = feedForward ? raw : n.output[0];
    nodes.push({ name: `${p}.bn`, opType: 'BatchNormalization', input: [x, `${p}.weight`, `${p}.bias`, `${p}.running_mean`, `${p}.running_var`], output: [feedForward ? n.output[0] : `${p}.out`],
      attribute: [{ name: 'epsilon', type: 1, f: EPS }, { name: 'momentum', type: 1, f: 0.9 }] });
    names.push({ mean: `${p}.running_mean`, variance: `${p}.running_var` });
  }
  return { model: { ...model, graph: { ...model.graph, node: nodes, initializer: [...model.graph.initializer, ...added] } }, names };
}

export interface LayerStats { mean: Float32Array; std: Float32Array }

/** REPAIR's TrackLayer statistics of every repaired layer of each model (same graph), in layer order. */
export async function layerStatistics(graph: ArchitectureGraph, state: StateDict, data: Dataset, o: RepairOptions = {}, ctx: JobContext = silentContext()): Promise<Map<string, LayerStats>> {
  const layers = repairLayers(graph, state, () => {});
  const d = sample(data, o.samples);
  const { model, names } = withTrackers(inferenceModel(graph, state), layers, (l) => ({ weight: new Float32Array(l.channels).fill(1), bias: new Float32Array(l.channels) }), false);
  const r = await recomputeBatchNormStats(model, d, { batchSize: Math.min(o.batchSize ?? 128, d.size), threads: o.threads }, ctx);
  const byName = new Map(r.graph.initializer.map((t) => [t.name, t]));
  return new Map(layers.map((l, k) => [l.output, { mean: f32Of(byName.get(names[k].mean)!), std: f32Of(byName.get(names[k].variance)!).map(Math.sqrt) }]));
}

/** Goal statistics: Σ wᵢ·statsᵢ (REPAIR's (1 − α)·μ_A + α·μ_B, σ likewise). */
export function mixStats(stats: Map<string, LayerStats>[], weights: number[]): Map<string, LayerStats> {
  const out = new Map<string, LayerStats>();
  for (const key of stats[0].keys()) {
    const c = stats[0].get(key)!.mean.length;
    const mean = new Float32Array(c), std = new Float32Array(c);
    stats.forEach((s, k) => { const t = s.get(key)!; for (let i = 0; i < c; i++) { mean[i] += weights[k] * t.mean[i]; std[i] += weights[k] * t.std[i]; } });
    out.set(key, { mean, std });
  }
  return out;
}

/** REPAIR: the merged state with each hidden layer rescaled to the goal statistics (and every BatchNorm reset). */
export async function repairState(graph: ArchitectureGraph, state: StateDict, goal: Map<string, LayerStats>, data: Dataset, o: RepairOptions = {}, ctx: JobContext = silentContext()): Promise<StateDict> {
  const layers = repairLayers(graph, state, (m) => ctx.log(m)).filter((l) => goal.has(l.output));
  const d = sample(data, o.samples);
  const batchSize = Math.min(o.batchSize ?? 128, d.size);
  const { model, names } = withTrackers(inferenceModel(graph, state), layers, (l) => ({ weight: goal.get(l.output)!.std, bias: goal.get(l.output)!.mean }), true);
  const r = await recomputeBatchNormStats(model, d, { batchSize, threads: o.threads }, ctx);
  const byName = new Map(r.graph.initializer.map((t) => [t.name, t]));
  const out: StateDict = new Map(state);
  layers.forEach((l, k) => {
    const mu = f32Of(byName.get(names[k].mean)!), variance = f32Of(byName.get(names[k].variance)!);
    const { std: gamma, mean: beta } = goal.get(l.output)!;
    const w = state.get(l.weight)!, b = state.get(l.bias)!;
    const wd = Float32Array.from(w.data as Float32Array), bd = Float32Array.from(b.data as Float32Array);
    const per = wd.length / l.channels;
    for (let c = 0; c < l.channels; c++) {
      const scale = gamma[c] / Math.sqrt(variance[c] + EPS);
      if (l.outAxis === 0) for (let i = 0; i < per; i++) wd[c * per + i] *= scale;
      else for (let i = 0; i < per; i++) wd[i * l.channels + c] *= scale;
      bd[c] = beta[c] + scale * (bd[c] - mu[c]);
    }
    out.set(l.weight, { shape: w.shape, data: wd });
    out.set(l.bias, { shape: b.shape, data: bd });
  });
  // the model's own BatchNorms were reset in the same pass
  const batches = Math.ceil(d.size / batchSize);
  for (const t of graph.tensors) {
    if (t.role === 'running_mean' || t.role === 'running_var') out.set(t.name, { shape: t.shape, data: f32Of(byName.get(t.name)!) });
    if (t.role === 'num_batches_tracked') out.set(t.name, { shape: t.shape, data: BigInt64Array.of(BigInt(batches)) });
  }
  ctx.log(`REPAIR: ${layers.length} layer${layers.length === 1 ? '' : 's'} rescaled to the endpoints' interpolated statistics`);
  return out;
}
