// Data-aware merges (fisher, regmean): before the tensors stream, each model is run on its data sample (the
// recipe's `data:` block) to measure what its method weighs with — the diagonal Fisher of every parameter, or the
// Gram matrix of every linear layer's input — and the method's kernel then gets, per tensor, each model's share.
// Models are read through the merge's own IO, so aligned models are measured as they will be merged.
import type { Dataset } from '../../data/types';
import { loadDataset } from '../../data';
import type { MergeIO } from '../../formats/model-io';
import type { JobContext } from '../../job-context';
import { loadNet, type Net } from '../../models/load-net';
import { archWeightsFrom, readStateFrom, recordedShape } from '../../models/weights';
import type { MergeMethod, Params } from '../methods';
import type { TensorStatistics } from '../methods/types';
import type { FisherEstimate } from '../methods/fisher';
import { fisherDiagonal } from './fisher';
import { inputGrams } from './gram';

/** The recipe's `data:` block, paths resolved. */
export interface DataSample {
  /** One dataset spec for every model, or one per model in recipe order. */
  dataset: string | string[];
  /** Examples per model: the first `samples` of its dataset (default 1,000). */
  samples?: number;
  /** For bare weights: a built-in architecture, or an ONNX file of the same model. */
  arch?: string;
  graph?: string;
}

export const DEFAULT_SAMPLES = 1000;

/** Model `path` as a runnable net, its tensors read through `io` (an aligned model as aligned). */
async function netThrough(path: string, io: MergeIO, data: DataSample, shape: Dataset): Promise<Net> {
  const src = await io.openModel(path);
  try {
    // the model's own example shape and classes where it records them (a sample of digits 0–4 in a CSV file has
    // 5 classes; the model still has 10 outputs), else the data's
    const recorded = recordedShape(src);
    const count = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const inputShape = recorded.inputShape && count(recorded.inputShape) === count(shape.inputShape) ? recorded.inputShape : shape.inputShape;
    const sizes = { inputShape, numClasses: recorded.numClasses ?? shape.numClasses };
    if (data.graph || (src.format === 'onnx' && !data.arch)) {
      const { graph } = await loadNet(data.graph ?? path, { inputShape });
      return { file: path, graph, state: await readStateFrom(path, src, graph.tensors, data.graph ?? path) };
    }
    return { file: path, ...(await archWeightsFrom(path, src, { arch: data.arch, ...sizes })) };
  } finally {
    await src.close();
  }
}

/** Each model's statistics for `method`, gathered per tensor name. */
export async function measureStatistics(method: MergeMethod, paths: string[], params: Params, data: DataSample, io: MergeIO, ctx: JobContext): Promise<Map<string, TensorStatistics>> {
  const specs = Array.isArray(data.dataset) ? data.dataset : paths.map(() => data.dataset as string);
  if (specs.length !== paths.length) throw new Error(`data.dataset lists ${specs.length} datasets for ${paths.length} models (give one, or one per model in recipe order)`);
  const loaded = new Map<string, Dataset>();
  const stats = new Map<string, TensorStatistics>();
  const fishers: Map<string, Float32Array>[] = [];
  for (let i = 0; i < paths.length; i++) {
    let d = loaded.get(specs[i]);
    if (!d) { d = await loadDataset(specs[i], ctx); loaded.set(specs[i], d); }
    const samples = Math.min(d.size, data.samples ?? DEFAULT_SAMPLES);
    const net = await netThrough(paths[i], io, data, d);
    const who = `model ${i + 1} (${net.file.split(/[\\/]/).pop()})`;
    if (method.data === 'fisher') {
      ctx.log(`${method.label}: Fisher information (${params.estimate}) of ${who} on ${samples} examples of ${d.id}`);
      const f = await fisherDiagonal(net.graph, net.state, d, { samples, estimate: params.estimate as FisherEstimate }, ctx);
      fishers.push(f);
    } else {
      ctx.log(`${method.label}: Gram matrices of layer inputs of ${who} on ${samples} examples of ${d.id}`);
      const grams = await inputGrams(net.graph, net.state, d, { samples, conv: params.conv === true }, ctx);
      for (const [name, g] of grams) {
        const s = stats.get(name) ?? {};
        if (!s.gram) s.gram = { matrices: [], dim: g.dim, layout: g.layout };
        if (s.gram.dim === g.dim && s.gram.layout === g.layout) s.gram.matrices[i] = g.matrix;
        stats.set(name, s);
      }
    }
  }
  if (method.data === 'fisher') {
    const norms = fishers.map((f) => Math.sqrt([...f.values()].reduce((s, v) => s + v.reduce((t, x) => t + x * x, 0), 0)));
    for (const name of fishers[0].keys()) {
      if (fishers.every((f) => f.has(name))) stats.set(name, { fisher: fishers.map((f) => f.get(name)!), fisherNorms: norms });
    }
  } else {
    // a layer measured in every model (same input size) is solved; any other is averaged
    for (const [name, s] of stats) if (s.gram!.matrices.filter(Boolean).length !== paths.length) stats.delete(name);
  }
  return stats;
}

/** `method` with each tensor's statistics handed to its kernel (tensors without any get none). */
export function withStatistics<P extends Params>(method: MergeMethod<P>, stats: Map<string, TensorStatistics>): MergeMethod<P> {
  const kernel = method.kernel;
  return { ...method, kernel: (input) => kernel.call(method, { ...input, statistics: stats.get(input.name) }) };
}
