// Reverse-mode differentiation of an ONNX node list into the same builder: a training-mode forward
// (rules may lower ops, e.g. BatchNorm from primitives) then one backward rule per node in reverse.
import type { GraphBuilder } from '../onnx/builder';
import { TensorDataType, type NodeProto, type TensorProto } from '../onnx/proto';
import { ruleFor } from './registry';
import { AutodiffError, type ForwardContext, type PerStepInputKind, type ShapeMap } from './types';

export interface PerStepInput { name: string; shape: number[]; spec: PerStepInputKind }

export interface TrainingForward {
  /** Per-node data that backward rules asked to keep. */
  saved: Map<NodeProto, unknown>;
  /** State tensors replaced after the step (BatchNorm running stats): old name → new value. */
  stateUpdates: Map<string, string>;
  /** Tensors the caller must feed per step (dropout masks). */
  perStep: PerStepInput[];
}

function shapeLookup(shapes: ShapeMap) {
  return (v: string): number[] => {
    const s = shapes.get(v);
    if (!s) throw new AutodiffError(`no static shape known for "${v}"`);
    return s;
  };
}

/** Ops whose outputs carry no gradient (shapes, indices, comparisons): gradients stop there. */
const NON_DIFFERENTIABLE = new Set([
  'Shape', 'Size', 'ArgMax', 'ArgMin', 'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Not', 'And', 'Or',
  'Xor', 'NonZero', 'Constant', 'ConstantOfShape', 'Range', 'IsNaN', 'IsInf', 'Sign', 'Floor', 'Ceil', 'Round',
]);

function propagates(n: NodeProto, req: Set<string>): boolean {
  return !NON_DIFFERENTIABLE.has(n.opType) && n.input.some((i) => i && req.has(i));
}

/** Values that depend on any of `wrt` (and so need gradients), in forward order. */
export function dependents(nodes: NodeProto[], wrt: Iterable<string>): Set<string> {
  const req = new Set(wrt);
  for (const n of nodes) if (propagates(n, req)) for (const o of n.output) if (o) req.add(o);
  return req;
}

/** Op types on the gradient path that have no backward rule. */
export function missingRules(nodes: NodeProto[], wrt: Iterable<string>): string[] {
  const req = new Set(wrt);
  const missing = new Set<string>();
  for (const n of nodes) {
    if (!propagates(n, req)) continue;
    for (const o of n.output) if (o) req.add(o);
    if ((n.domain && n.domain !== 'ai.onnx') || !ruleFor(n.opType)) missing.add(n.domain ? `${n.domain}:${n.opType}` : n.opType);
  }
  return [...missing].sort();
}

/**
 * Emit the training-mode forward of `nodes` into `b`. `perStepInput` decides how a per-step tensor is
 * provided (a graph input, or a Gather from a stacked input inside a Loop body).
 */
export function emitTrainingForward(
  b: GraphBuilder, nodes: NodeProto[], shapes: ShapeMap,
  perStepInput: (hint: string, shape: number[], spec: PerStepInputKind) => string,
  constants: TensorProto[] = [],
): TrainingForward {
  const byName = new Map(constants.map((t) => [t.name, t]));
  const out: TrainingForward = { saved: new Map(), stateUpdates: new Map(), perStep: [] };
  const ctx: ForwardContext = {
    b,
    shape: shapeLookup(shapes),
    stateUpdate: (state, v) => { out.stateUpdates.set(state, v); },
    perStepInput: (hint, shape, spec) => {
      const name = perStepInput(hint, shape, spec);
      out.perStep.push({ name, shape, spec });
      return name;
    },
    constant: (name) => {
      const t = byName.get(name);
      if (!t) return undefined;
      if (t.floatData) return Float32Array.from(t.floatData);
      if (t.rawData && t.dataType === TensorDataType.FLOAT) return new Float32Array(new Uint8Array(t.rawData).buffer);
      if (t.rawData && t.dataType === TensorDataType.DOUBLE) return Float32Array.from(new Float64Array(new Uint8Array(t.rawData).buffer));
      return undefined;
    },
  };
  for (const n of nodes) {
    const rule = ruleFor(n.opType);
    if (rule?.forward && !(n.domain && n.domain !== 'ai.onnx')) out.saved.set(n, rule.forward(n, ctx));
    else b.addNode(n);
  }
  return out;
}

/**
 * Emit the backward pass. `seeds` maps values to their gradient values (e.g. logits → dlogits);
 * returns the gradient value of each `wrt` name (absent when no gradient reaches it).
 */
export function emitBackward(
  b: GraphBuilder, nodes: NodeProto[], shapes: ShapeMap, wrt: string[],
  seeds: Map<string, string>, saved: Map<NodeProto, unknown> = new Map(),
): Map<string, string> {
  const req = dependents(nodes, wrt);
  const contributions = new Map<string, string[]>();
  for (const [v, g] of seeds) contributions.set(v, [g]);
  const total = (v: string): string | undefined => {
    const parts = contributions.get(v);
    if (!parts?.length) return undefined;
    if (parts.length === 1) return parts[0];
    const s = b.op('Sum', parts);
    contributions.set(v, [s]);
    return s;
  };
  const ctx = { b, shape: shapeLookup(shapes) };
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    const needs = n.input.map((i) => !!i && req.has(i));
    if (!needs.some(Boolean)) continue;
    const gy = n.output.map((o) => (o ? total(o) : undefined));
    if (!gy.some(Boolean)) continue;
    const rule = ruleFor(n.opType);
    if (!rule || (n.domain && n.domain !== 'ai.onnx')) throw new AutodiffError(`no backward rule for op ${n.opType} (node ${n.name ?? n.output[0]})`);
    const gx = rule.backward(n, gy, needs, ctx, saved.get(n));
    n.input.forEach((i, j) => {
      const g = gx[j];
      if (g && needs[j]) contributions.set(i, [...(contributions.get(i) ?? []), g]);
    });
  }
  const grads = new Map<string, string>();
  for (const w of wrt) { const g = total(w); if (g) grads.set(w, g); }
  return grads;
}
