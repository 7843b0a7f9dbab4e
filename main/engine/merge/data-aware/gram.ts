// Gram matrices of layer inputs on a data sample, for RegMean (Jin et al. 2023, §3; the authors' compute_gram):
// for every linear layer, G = XᵀX / rows, X the layer's input with one row per example. The model runs in
// evaluation mode in one onnxruntime graph that also forms each batch's XᵀX, so only d×d matrices come back.
// With `conv`, a convolution (groups 1) counts as the linear map it is on its input patches: X holds one row per
// example and output position, the Cin·kh·kw values its kernel sees (taken by a Conv with one-hot filters, in the
// weight's own flattening order), so the same closed form applies to the weight viewed as Cout × (Cin·kh·kw).
import * as ort from 'onnxruntime-node';
import { probeShapes } from '../../autodiff';
import type { Dataset } from '../../data/types';
import { silentContext, throwIfCancelled, type JobContext } from '../../job-context';
import { inferenceModel } from '../../models/state';
import type { ArchitectureGraph, StateDict } from '../../models/types';
import { GraphBuilder, getAttr } from '../../onnx/builder';
import { TensorDataType, type NodeProto } from '../../onnx/proto';
import { createSession } from '../../runtime/session';
import { checkDataShape } from './fisher';

export interface LayerGram {
  /** G = XᵀX / rows, d × d row-major. */
  matrix: Float64Array;
  dim: number;
  /** How the weight is laid out against X: 'out-in' (W·x, PyTorch Linear and Conv) or 'in-out' (x·W). */
  layout: 'out-in' | 'in-out';
  rows: number;
}

export interface GramOptions {
  samples?: number;
  batchSize?: number;
  /** Also convolutions (groups 1), on their input patches. */
  conv?: boolean;
  threads?: number;
}

interface Target { weight: string; input: string; layout: LayerGram['layout']; conv?: NodeProto }

/** The layers whose weight RegMean solves for: Gemm and MatMul with a 2-D parameter, and (with conv) Conv. */
function targets(graph: ArchitectureGraph, conv: boolean): Target[] {
  const params = new Map(graph.tensors.filter((t) => t.role === 'param').map((t) => [t.name, t]));
  const uses = new Map<string, number>();
  for (const nd of graph.nodes) for (const i of nd.input) if (params.has(i)) uses.set(i, (uses.get(i) ?? 0) + 1);
  const out: Target[] = [];
  for (const nd of graph.nodes) {
    const w = params.get(nd.input[1]);
    // a weight used twice (tied) has no single input to regress on: it is averaged
    if (!w || uses.get(w.name) !== 1) continue;
    if (nd.opType === 'Gemm' && w.shape.length === 2 && !getAttr(nd, 'transA', 0)) {
      out.push({ weight: w.name, input: nd.input[0], layout: getAttr(nd, 'transB', 0) ? 'out-in' : 'in-out' });
    } else if (nd.opType === 'MatMul' && w.shape.length === 2) {
      out.push({ weight: w.name, input: nd.input[0], layout: 'in-out' });
    } else if (conv && nd.opType === 'Conv' && getAttr(nd, 'group', 1) === 1 && w.shape.length >= 3) {
      out.push({ weight: w.name, input: nd.input[0], layout: 'out-in', conv: nd });
    }
  }
  return out;
}

/** The Gram matrix of each target layer's input, by the layer's weight name. */
export async function inputGrams(graph: ArchitectureGraph, state: StateDict, data: Dataset, o: GramOptions = {}, ctx: JobContext = silentContext()): Promise<Map<string, LayerGram>> {
  checkDataShape(graph, data, 'RegMean');
  const n = Math.min(data.size, o.samples ?? data.size);
  if (n < 1) throw new Error(`RegMean: ${data.id} has no examples`);
  const layers = targets(graph, o.conv ?? false);
  const result = new Map<string, LayerGram>();
  if (layers.length === 0) return result;
  const model = inferenceModel(graph, state);
  const shapes = await probeShapes(model.graph, { [graph.inputName]: [1, ...graph.inputShape] });

  const b = new GraphBuilder('gram', 'gr_');
  b.reserve(shapes.keys());
  b.reserve(model.graph.node.flatMap((nd) => (nd.name ? [nd.name] : [])));
  b.input(graph.inputName, TensorDataType.FLOAT, ['N', ...graph.inputShape]);
  for (const t of model.graph.initializer) b.initializer(t);
  for (const nd of model.graph.node) b.addNode(nd);
  const dims: number[] = [];
  const outs: string[] = [];
  for (const t of layers) {
    let rows: string;
    let d: number;
    if (t.conv) {
      const w = state.get(t.weight)!;
      const [cin, ...kernel] = w.shape.slice(1);
      d = cin * kernel.reduce((x, y) => x * y, 1);
      // one-hot filters: output channel f = (c, i, j) in the weight's flattening order copies that input value
      const onehot = new Float32Array(d * d);
      for (let f = 0; f < d; f++) onehot[f * d + f] = 1;
      // the layer's own strides, pads and dilations, so the patches are those its kernel sees
      const patches = b.fresh('patches');
      b.addNode({ name: b.fresh('n_patches'), opType: 'Conv', input: [t.input, b.constF(onehot, [d, cin, ...kernel])], output: [patches], attribute: t.conv.attribute.filter((a) => a.name !== 'group') });
      const moved = b.op('Transpose', [patches], { perm: [0, ...kernel.map((_, k) => k + 2), 1] });
      rows = b.op('Reshape', [moved, b.constI64([-1, d])]);
    } else {
      const s = shapes.get(t.input)!;
      d = s[s.length - 1];
      rows = s.length === 2 ? t.input : b.op('Reshape', [t.input, b.constI64([-1, d])]);
    }
    const g = b.op('MatMul', [b.op('Transpose', [rows], { perm: [1, 0] }), rows]);
    b.output(g, TensorDataType.FLOAT);
    outs.push(g);
    dims.push(d);
  }
  const rowsPerExample = layers.map((t) => {
    if (!t.conv) { const s = shapes.get(t.input)!; return s.slice(0, -1).reduce((x, y) => x * y, 1); }
    const out = shapes.get(t.conv.output[0])!;
    return out.slice(2).reduce((x, y) => x * y, 1);
  });

  const { session } = await createSession(b.toModel(), { threads: o.threads });
  const sums = dims.map((d) => new Float64Array(d * d));
  const per = graph.inputShape.reduce((x, y) => x * y, 1);
  const bs = Math.max(1, o.batchSize ?? 128);
  try {
    for (let s = 0; s < n; s += bs) {
      throwIfCancelled(ctx);
      const size = Math.min(bs, n - s);
      const r = await session.run({ [graph.inputName]: new ort.Tensor('float32', data.inputs.subarray(s * per, (s + size) * per), [size, ...graph.inputShape]) });
      outs.forEach((name, k) => { const v = r[name].data as Float32Array; const acc = sums[k]; for (let i = 0; i < v.length; i++) acc[i] += v[i]; });
      ctx.progress({ done: s + size, total: n, unit: 'examples', message: 'RegMean: Gram matrices of layer inputs' });
    }
  } finally {
    await session.release();
  }
  layers.forEach((t, k) => {
    const rows = n * rowsPerExample[k];
    const m = sums[k];
    for (let i = 0; i < m.length; i++) m[i] /= rows;
    result.set(t.weight, { matrix: m, dim: dims[k], layout: t.layout, rows });
  });
  return result;
}
