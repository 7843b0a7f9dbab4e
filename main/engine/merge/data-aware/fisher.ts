// Diagonal Fisher information of a model on a data sample, as Fisher merging defines it (Matena & Raffel 2022,
// §2; the authors' fisher.py): F = (1/N) Σₓ E_{y∼p(y|x)} [(∂ log p(y|x)/∂θ)²], the expectation taken exactly over
// the classes (`exact`, the paper's and the code's form), or with the example's label instead (`empirical`).
// One onnxruntime graph per model: the evaluation-mode forward at batch 1 (a per-example squared gradient
// cannot come out of a batch's summed gradient), then one backward per class seeded with ∂ log p_y/∂z = e_y − p,
// each squared and weighted by p_y in the graph, so one run per example returns that example's Σ_y p_y·g_y².
import * as ort from 'onnxruntime-node';
import { emitBackward, emitTrainingForward, missingRules, probeShapes } from '../../autodiff';
import type { Dataset } from '../../data/types';
import { silentContext, throwIfCancelled, type JobContext } from '../../job-context';
import { inferenceModel } from '../../models/state';
import type { ArchitectureGraph, StateDict } from '../../models/types';
import { GraphBuilder } from '../../onnx/builder';
import { TensorDataType } from '../../onnx/proto';
import { createSession } from '../../runtime/session';
import type { FisherEstimate } from '../methods/fisher';
import { evalGraph, graphProto } from './eval-graph';


export interface FisherOptions {
  /** Examples used: the first `samples` of the dataset (default: all). */
  samples?: number;
  estimate?: FisherEstimate;
  threads?: number;
}

/** The data's example shape must be the model's. */
export function checkDataShape(graph: ArchitectureGraph, data: Dataset, what: string): void {
  const per = graph.inputShape.reduce((x, y) => x * y, 1);
  const dataPer = data.inputShape.reduce((x, y) => x * y, 1);
  if (per !== dataPer) throw new Error(`${what}: ${data.id} has examples of shape [${data.inputShape.join(', ')}]; the model takes [${graph.inputShape.join(', ')}]`);
}

/** The diagonal Fisher of every parameter the graph uses (by state-dict name), averaged over the examples. */
export async function fisherDiagonal(graph: ArchitectureGraph, state: StateDict, data: Dataset, o: FisherOptions = {}, ctx: JobContext = silentContext()): Promise<Map<string, Float32Array>> {
  checkDataShape(graph, data, 'Fisher information');
  const estimate = o.estimate ?? 'exact';
  const n = Math.min(data.size, o.samples ?? data.size);
  if (n < 1) throw new Error(`Fisher information: ${data.id} has no examples`);
  const K = graph.numClasses;
  const x1 = [1, ...graph.inputShape];
  const original = await probeShapes(inferenceModel(graph, state).graph, { [graph.inputName]: x1 });
  const ranks = new Map([...original].map(([k, s]) => [k, s.length]));
  const ev = evalGraph(graph, state, ranks);
  const missing = missingRules(ev.nodes, ev.params);
  if (missing.length) throw new Error(`Fisher information: no backward rule for ${missing.join(', ')} in this model's graph`);
  const shapes = await probeShapes(graphProto(ev, graph.inputName, graph.inputShape, [graph.outputName]), { [graph.inputName]: x1 });

  const b = new GraphBuilder('fisher', 'fi_');
  b.reserve(shapes.keys());
  b.reserve(ev.nodes.flatMap((nd) => (nd.name ? [nd.name] : [])));
  for (const t of ev.initializers) b.initializer(t);
  b.input(graph.inputName, TensorDataType.FLOAT, x1);
  const fwd = emitTrainingForward(b, ev.nodes, shapes, () => { throw new Error('Fisher information: the evaluation graph has no per-step inputs'); });
  const p = b.op('Softmax', [graph.outputName], { axis: 1 });
  const squares = new Map<string, string[]>(ev.params.map((name) => [name, []]));
  const addSquares = (seed: string, weight?: string) => {
    const grads = emitBackward(b, ev.nodes, shapes, ev.params, new Map([[graph.outputName, seed]]), fwd.saved);
    for (const [name, g] of grads) {
      const sq = b.op('Mul', [g, g]);
      squares.get(name)!.push(weight ? b.op('Mul', [sq, weight]) : sq);
    }
  };
  if (estimate === 'exact') {
    for (let y = 0; y < K; y++) {
      const onehot = Array.from({ length: K }, (_, k) => (k === y ? 1 : 0));
      const py = b.op('Reshape', [b.op('Slice', [p, b.constI64([0, y]), b.constI64([1, y + 1])]), b.constI64([], [0])]);
      addSquares(b.op('Sub', [b.constF(onehot, [1, K]), p]), py);
    }
  } else {
    addSquares(b.op('Sub', [b.input('target', TensorDataType.FLOAT, [1, K]), p]));
  }
  const outName = (name: string) => `fisher:${name}`;
  for (const name of ev.params) {
    const parts = squares.get(name)!;
    // a parameter no gradient reaches has zero Fisher information
    const total = parts.length === 0 ? b.op('Mul', [name, b.scalar(0)]) : parts.length === 1 ? parts[0] : b.op('Sum', parts);
    b.op('Identity', [total], {}, outName(name));
    b.output(outName(name), TensorDataType.FLOAT);
  }

  const { session } = await createSession(b.toModel(), { threads: o.threads });
  const acc = new Map(ev.params.map((name) => [name, new Float64Array(state.get(name)!.data.length)]));
  const per = graph.inputShape.reduce((s, d) => s * d, 1);
  const target = new Float32Array(K);
  try {
    for (let i = 0; i < n; i++) {
      if (i % 16 === 0) throwIfCancelled(ctx);
      const feeds: Record<string, ort.Tensor> = { [graph.inputName]: new ort.Tensor('float32', data.inputs.subarray(i * per, (i + 1) * per), x1) };
      if (estimate === 'empirical') {
        const label = data.labels[i];
        if (label >= K) throw new Error(`Fisher information: ${data.id} has label ${label}; the model has ${K} classes`);
        target.fill(0); target[label] = 1;
        feeds.target = new ort.Tensor('float32', target, [1, K]);
      }
      const r = await session.run(feeds);
      for (const [name, a] of acc) {
        const v = r[outName(name)].data as Float32Array;
        for (let j = 0; j < a.length; j++) a[j] += v[j];
      }
      if (i % 32 === 31 || i === n - 1) ctx.progress({ done: i + 1, total: n, unit: 'examples', message: 'Fisher information' });
    }
  } finally {
    await session.release();
  }
  const out = new Map<string, Float32Array>();
  for (const [name, a] of acc) out.set(name, Float32Array.from(a, (v) => v / n));
  return out;
}
