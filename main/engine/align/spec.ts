// The permutation spec, derived from the graph: which hidden axes may be permuted, and which tensor axes each
// permutation moves. Every Conv / Gemm / MatMul-with-a-weight makes a new permutation of its output channels;
// it is followed through activations, BatchNorm, pooling, Dropout and reshapes (Flatten turns a channel into a
// block of H×W inputs of the next Gemm) to the input axis of the weights that consume it. Residual Adds join
// their inputs' permutations (union-find). A permutation that reaches a graph output, meets a graph input, or
// meets an op the spec does not understand is left out (the op is reported). Same as Git Re-Basin's
// hand-written PermutationSpec (Ainsworth et al. 2022), read off the ONNX nodes instead of written per model.
import { probeShapes } from '../autodiff/shapes';
import { inferenceModel } from '../models/state';
import type { ArchitectureGraph, StateDict } from '../models/types';
import { followCarry } from './spec-carry';
import { followLayer } from './spec-layers';
import { SpecTrace, type NodeAt } from './spec-trace';
import type { AxisRef, PermGroup, PermutationSpec } from './spec-types';

export type { ActivationPoint, AxisRef, PermGroup, PermutationSpec, SpecIssue } from './spec-types';

/** Derives the permutation spec of a net (its graph; the state is needed to run it once for the shapes). */
export async function derivePermutationSpec(net: { graph: ArchitectureGraph; state: StateDict }, o: { tied?: string[][] } = {}): Promise<PermutationSpec> {
  const g = net.graph;
  const model = inferenceModel(g, net.state);
  const shapes = await probeShapes(model.graph, { [g.inputName]: [2, ...g.inputShape] });
  const trace = new SpecTrace(g, shapes, o.tied ?? []);
  g.nodes.forEach((n, i) => followNode(trace, trace.at(n, i)));
  fixAtOutputs(trace, [g.outputName, ...model.graph.output.map((x) => x.name)]);
  joinSharedAxes(trace);
  fixUnsupportedWeights(trace);
  return collectSpec(trace, o.tied);
}

function followNode(t: SpecTrace, at: NodeAt): void {
  if (followLayer(t, at) || !at.anyCarry) return;
  followCarry(t, at);
}

function fixAtOutputs(t: SpecTrace, outputs: string[]): void {
  for (const name of outputs) { const c = t.carry.get(name); if (c) t.vars.fix(c.v, 'reaches the graph output'); }
}

/** A weight axis met by several permutations (tied weights, a shared layer) makes them one. */
function joinSharedAxes(t: SpecTrace): void {
  for (const e of t.paramAxes.values()) {
    for (const x of e.ties.slice(1)) {
      t.vars.union(e.ties[0].v, x.v);
      if (x.block !== e.ties[0].block) t.vars.fix(x.v, `tensor "${e.tensor}" axis ${e.axis} is met in blocks of ${e.ties[0].block} and ${x.block}`);
    }
  }
}

/** A weight that an op not understood also uses cannot be permuted anywhere. */
function fixUnsupportedWeights(t: SpecTrace): void {
  for (const p of t.paramsOfUnsupported) {
    for (const e of t.paramAxes.values()) if (e.tensor === t.key(p)) for (const x of e.ties) t.vars.fix(x.v, `its tensor "${p}" is used by an op the spec does not understand`);
  }
}

/** One group per joined variable left permutable, with every tensor axis (tied names included) it moves. */
function collectSpec(t: SpecTrace, tied: string[][] | undefined): PermutationSpec {
  const { vars } = t;
  const roots = [...new Set(vars.parent.map((_, v) => vars.find(v)))].sort((a, b) => a - b);
  const groups: PermGroup[] = [];
  const fixed: PermutationSpec['fixed'] = [];
  for (const r of roots) {
    if (vars.fixed[r]) { fixed.push({ producers: vars.producers[r], reason: vars.fixed[r]! }); continue; }
    const axes: AxisRef[] = [];
    for (const e of t.paramAxes.values()) {
      const x = e.ties.find((y) => vars.find(y.v) === r);
      if (!x) continue;
      const names = tied?.find((grp) => grp[0] === e.tensor) ?? [e.tensor];
      for (const name of names) axes.push({ tensor: name, axis: e.axis, block: x.block, role: e.role });
    }
    const pts = vars.parent.map((_, v) => v).filter((v) => vars.find(v) === r).flatMap((v) => t.points.get(v) ?? []);
    groups.push({ name: `P_${vars.producers[r][0]}`, size: vars.size[r], axes, producers: vars.producers[r], points: pts.filter((p, k) => pts.findIndex((q) => q.value === p.value) === k) });
  }
  return { groups, fixed, unsupported: t.unsupported };
}
