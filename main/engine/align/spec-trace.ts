// One walk over a graph while its permutation spec is derived: the variables, the permutation each value
// carries, the weight axes tied to the variables, and the ops refused. The op handlers (spec-layers.ts,
// spec-carry.ts) read and extend it; spec.ts turns it into the spec.
import type { ShapeMap } from '../autodiff/types';
import type { NodeProto, TensorProto } from '../onnx/proto';
import type { ArchitectureGraph } from '../models/types';
import type { ActivationPoint, AxisRef, SpecIssue } from './spec-types';
import { Vars } from './spec-vars';

/** A value's permutation: variable `v` moves its `axis` in blocks of `block`; `origin` is where its units are seen. */
export interface Carry { v: number; axis: number; block: number; origin: ActivationPoint }

/** A weight axis and the variables tied to it, with their block and role. */
export interface ParamAxis { tensor: string; axis: number; role: AxisRef['role']; ties: { v: number; block: number }[] }

/** One node being followed: its inputs' carries (undefined where unpermuted) and its first output. */
export interface NodeAt {
  node: NodeProto;
  index: number;
  ins: (Carry | undefined)[];
  anyCarry: boolean;
  out: string;
}

/** A layer's name from its weight ("layers.0.weight" → "layers.0"). */
function layerOf(weight: string): string { return weight.replace(/\.(weight|kernel)$/, ''); }

export class SpecTrace {
  readonly vars = new Vars();
  readonly carry = new Map<string, Carry>();
  /** Param axis "name#axis" (tied names under their group's first) → the variables tied to it. */
  readonly paramAxes = new Map<string, ParamAxis>();
  readonly points = new Map<number, ActivationPoint[]>();
  readonly unsupported: SpecIssue[] = [];
  readonly paramsOfUnsupported: string[] = [];
  readonly params: Set<string>;
  readonly constants: Map<string, TensorProto>;
  readonly inputName: string;
  private readonly canonical = new Map<string, string>();

  constructor(graph: ArchitectureGraph, private readonly shapes: ShapeMap, tied: string[][]) {
    this.params = new Set(graph.tensors.filter((t) => t.dtype === 'f32').map((t) => t.name));
    this.constants = new Map(graph.constants.map((t) => [t.name, t]));
    this.inputName = graph.inputName;
    for (const group of tied) for (const n of group) this.canonical.set(n, group[0]);
  }

  /** The name a tensor's axes are kept under: the first of its tied group. */
  key(tensor: string): string { return this.canonical.get(tensor) ?? tensor; }

  shapeOf(x: string): number[] { return this.shapes.get(x) ?? []; }

  at(node: NodeProto, index: number): NodeAt {
    const ins = node.input.map((x) => (x ? this.carry.get(x) : undefined));
    return { node, index, ins, anyCarry: ins.some((c) => c), out: node.output[0] };
  }

  tie(tensor: string, axis: number, v: number, block: number, role: AxisRef['role']): void {
    const k = `${this.key(tensor)}#${axis}`;
    const e = this.paramAxes.get(k) ?? { tensor: this.key(tensor), axis, role, ties: [] };
    e.ties.push({ v, block });
    this.paramAxes.set(k, e);
  }

  /** Records where a variable's units are seen as an activation: the input of a layer that consumes them. */
  addPoint(c: Carry): void {
    const list = this.points.get(c.v) ?? [];
    if (!list.some((p) => p.value === c.origin.value)) list.push(c.origin);
    this.points.set(c.v, list);
  }

  /** A new variable for the output units of the layer of `weight`. */
  fresh(weight: string, size: number): number { return this.vars.make(size, layerOf(weight)); }

  setOut(at: NodeAt, c: Carry): void { this.carry.set(at.out, c); }

  outPoint(at: NodeAt, axis: number): ActivationPoint { return { value: at.out, axis }; }

  /** Reports an op the spec cannot follow and leaves the permutations (and weights) it meets unpermuted. */
  refuse(at: NodeAt, message: string): void {
    const n = at.node;
    this.unsupported.push({ node: nodeName(at), opType: n.opType, message });
    for (const x of n.input) {
      const c = this.carry.get(x);
      if (c) this.vars.fix(c.v, `meets ${n.opType} (${nodeName(at)}), which the spec does not understand`);
      if (this.params.has(x)) this.paramsOfUnsupported.push(x);
    }
  }
}

export function nodeName(at: NodeAt): string { return at.node.name || `${at.node.opType}#${at.index}`; }

/** Follows one kind of op: carries its inputs' permutations to its output, or refuses it. */
export type OpHandler = (t: SpecTrace, at: NodeAt) => void;
