// Activation matching, as Git Re-Basin defines it (Ainsworth et al. 2022, §3.1; mnist_mlp_activation_matching.py):
// run both models on a data sample, and for each permutation group match units on the cross-correlation of
// their activations, E[z_A z_Bᵀ] over examples (and positions, for conv channels), one linear assignment per
// group (no coordinate descent: each layer's activations do not depend on the other groups' permutations).
// `similarity: 'pearson'` matches on Pearson correlations instead (Li et al. 2015, REPAIR's choice). Both models
// run inside one onnxruntime graph that also forms the products, so only C×C matrices come back per batch.
import * as ort from 'onnxruntime-node';
import { probeShapes } from '../autodiff/shapes';
import type { Dataset } from '../data/types';
import { silentContext, throwIfCancelled, type JobContext } from '../job-context';
import { MORE_EXAMPLES_HINT } from '../models/hints';
import { inferenceModel } from '../models/state';
import type { ArchitectureGraph, StateDict } from '../models/types';
import { GraphBuilder } from '../onnx/builder';
import { TensorDataType, type ModelProto, type NodeProto } from '../onnx/proto';
import { createSession } from '../runtime/session';
import { unitsMoved, type Permutations } from './apply';
import { linearAssignment } from './lap';
import type { ActivationPoint, PermutationSpec } from './spec';
import { summarize, type MatchResult } from './weight-matching';

export interface ActivationMatchingOptions {
  /** Examples of the dataset to use (default: all, at most 1,024). */
  samples?: number;
  batchSize?: number;
  similarity?: 'inner' | 'pearson';
  threads?: number;
}

/** The sample cannot support matching (too few activation rows for a group's units, or the wrong shape). */
export class ActivationDataError extends Error {
  constructor(message: string) { super(message); this.name = 'ActivationDataError'; }
}

const DEFAULT_SAMPLES = 1024;

/** Every name in B's copy of the graph gets this prefix (the data input excepted). */
const B = 'b::';

function renamed(m: ModelProto, keep: string): ModelProto {
  const r = (n: string) => (n && n !== keep ? B + n : n);
  return {
    ...m,
    graph: {
      ...m.graph,
      node: m.graph.node.map((n): NodeProto => ({ ...n, name: n.name ? B + n.name : n.name, input: n.input.map(r), output: n.output.map(r) })),
      initializer: m.graph.initializer.map((t) => ({ ...t, name: r(t.name) })),
    },
  };
}

interface PointStats { ab: Float64Array; sa: Float64Array; sb: Float64Array; qa: Float64Array; qb: Float64Array; rows: number }

/** Finds the permutations of B's units that best match A's activations on `data`. */
export async function activationMatching(spec: PermutationSpec, graph: ArchitectureGraph, a: StateDict, b: StateDict, data: Dataset, o: ActivationMatchingOptions = {}, ctx: JobContext = silentContext()): Promise<MatchResult> {
  const per = graph.inputShape.reduce((x, y) => x * y, 1);
  const dataPer = data.inputShape.reduce((x, y) => x * y, 1);
  if (dataPer !== per) throw new ActivationDataError(`${data.id} has examples of shape [${data.inputShape.join(', ')}]; the models take [${graph.inputShape.join(', ')}]`);
  const n = Math.min(data.size, o.samples ?? DEFAULT_SAMPLES);
  if (spec.groups.length === 0) {
    // a model without hidden units (one layer) has nothing to permute: B as it is is the answer, and a graph
    // asking onnxruntime for no outputs would only fail ("At least one output should be requested")
    ctx.log('activation matching: the model has no hidden units to permute; it is kept as it is');
    return { perms: {}, iterations: 0, trace: [], ...summarize(spec, a, b, {}) };
  }
  const modelA = inferenceModel(graph, a), modelB = renamed(inferenceModel(graph, b), graph.inputName);
  const shapes = await probeShapes(modelA.graph, { [graph.inputName]: [1, ...graph.inputShape] });
  const points: { group: string; point: ActivationPoint; c: number; positions: number }[] = [];
  for (const g of spec.groups) {
    for (const p of g.points) {
      const s = shapes.get(p.value)!;
      points.push({ group: g.name, point: p, c: s[p.axis], positions: s.reduce((x, y) => x * y, 1) / s[p.axis] });
    }
  }
  for (const g of spec.groups) {
    const rows = points.filter((p) => p.group === g.name).reduce((m, p) => Math.max(m, n * p.positions), 0);
    if (rows < g.size) {
      const need = Math.ceil(g.size / Math.max(1, rows / Math.max(1, n)));
      throw new ActivationDataError(`activation matching of ${g.name} (${g.size} units) needs at least ${g.size} activation rows; ${n} example${n === 1 ? '' : 's'} of ${data.id} give ${rows} — use at least ${need} examples (${MORE_EXAMPLES_HINT})`);
    }
  }

  // One graph: both models on the same input, then per point the (rows × C) matrices and their products.
  const gb = new GraphBuilder('activation_matching');
  gb.reserve([...modelA.graph.node.flatMap((x) => [...x.output, x.name ?? '']), ...modelB.graph.node.flatMap((x) => [...x.output, x.name ?? ''])]);
  gb.input(graph.inputName, TensorDataType.FLOAT, ['N', ...graph.inputShape]);
  for (const t of [...modelA.graph.initializer, ...modelB.graph.initializer]) gb.initializer(t);
  for (const nd of [...modelA.graph.node, ...modelB.graph.node]) gb.addNode(nd);
  const outNames: string[][] = [];
  for (const { point, c } of points) {
    const rank = shapes.get(point.value)!.length;
    const rowsOf = (v: string) => {
      const perm = [...Array.from({ length: rank }, (_, k) => k).filter((k) => k !== point.axis), point.axis];
      const moved = point.axis === rank - 1 ? v : gb.op('Transpose', [v], { perm });
      return gb.op('Reshape', [moved, gb.constI64([-1, c])]);
    };
    const ra = rowsOf(point.value), rb = rowsOf(B + point.value);
    const ab = gb.op('MatMul', [gb.op('Transpose', [ra], { perm: [1, 0] }), rb]);
    const axes0 = gb.constI64([0]);
    const names = [ab, gb.op('ReduceSum', [ra, axes0], { keepdims: 0 }), gb.op('ReduceSum', [rb, axes0], { keepdims: 0 }),
      gb.op('ReduceSum', [gb.op('Mul', [ra, ra]), axes0], { keepdims: 0 }), gb.op('ReduceSum', [gb.op('Mul', [rb, rb]), axes0], { keepdims: 0 })];
    for (const x of names) gb.output(x, TensorDataType.FLOAT);
    outNames.push(names);
  }
  const { session } = await createSession(gb.toModel(), { threads: o.threads });
  const stats: PointStats[] = points.map(({ c }) => ({ ab: new Float64Array(c * c), sa: new Float64Array(c), sb: new Float64Array(c), qa: new Float64Array(c), qb: new Float64Array(c), rows: 0 }));
  const bs = Math.max(1, o.batchSize ?? 128);
  try {
    for (let s = 0; s < n; s += bs) {
      throwIfCancelled(ctx);
      const size = Math.min(bs, n - s);
      const r = await session.run({ [graph.inputName]: new ort.Tensor('float32', data.inputs.subarray(s * per, (s + size) * per), [size, ...graph.inputShape]) });
      points.forEach((p, k) => {
        const st = stats[k];
        const add = (acc: Float64Array, name: string) => { const v = r[name].data as Float32Array; for (let i = 0; i < v.length; i++) acc[i] += v[i]; };
        const [ab, sa, sb, qa, qb] = outNames[k];
        add(st.ab, ab); add(st.sa, sa); add(st.sb, sb); add(st.qa, qa); add(st.qb, qb);
        st.rows += size * p.positions;
      });
      ctx.progress({ done: s + size, total: n, unit: 'examples', message: 'activation matching: collecting activations' });
    }
  } finally {
    await session.release();
  }

  const perms: Permutations = {};
  for (const g of spec.groups) {
    const sim = new Float64Array(g.size * g.size);
    points.forEach((p, k) => {
      if (p.group !== g.name) return;
      const st = stats[k], c = p.c, rows = st.rows;
      for (let i = 0; i < c; i++) {
        const ma = st.sa[i] / rows, sdA = Math.sqrt(Math.max(0, st.qa[i] / rows - ma * ma));
        for (let j = 0; j < c; j++) {
          const e = st.ab[i * c + j] / rows;
          if (o.similarity === 'pearson') {
            const mb = st.sb[j] / rows, sdB = Math.sqrt(Math.max(0, st.qb[j] / rows - mb * mb));
            sim[i * c + j] += (e - ma * mb) / (sdA * sdB + 1e-4);
          } else sim[i * c + j] += e;
        }
      }
    });
    perms[g.name] = linearAssignment(sim, g.size).col;
  }
  const moved = spec.groups.reduce((k, g) => k + unitsMoved(perms[g.name]), 0);
  ctx.log(`activation matching on ${n} examples of ${data.id}: ${moved} units moved`);
  return { perms, iterations: 1, trace: [], ...summarize(spec, a, b, perms) };
}
