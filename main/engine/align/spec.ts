// The permutation spec, derived from the graph: which hidden axes may be permuted, and which tensor axes each
// permutation moves. Every Conv / Gemm / MatMul-with-a-weight makes a new permutation of its output channels;
// it is followed through activations, BatchNorm, pooling, Dropout and reshapes (Flatten turns a channel into a
// block of H×W inputs of the next Gemm) to the input axis of the weights that consume it. Residual Adds join
// their inputs' permutations (union-find). A permutation that reaches a graph output, meets a graph input, or
// meets an op this file does not understand is left out (the op is reported). Same as Git Re-Basin's
// hand-written PermutationSpec (Ainsworth et al. 2022), read off the ONNX nodes instead of written per model.
import { probeShapes } from '../autodiff/shapes';
import { getAttr } from '../onnx/builder';
import type { NodeProto, TensorProto } from '../onnx/proto';
import { inferenceModel } from '../models/state';
import type { ArchitectureGraph, StateDict } from '../models/types';

/** One tensor axis a permutation moves. The axis has `size × block` entries; entry c·block + k belongs to unit c. */
export interface AxisRef {
  tensor: string;
  axis: number;
  block: number;
  /** What the axis is: a layer's output units, a consumer's input units, or a per-channel parameter (bias, BatchNorm). */
  role: 'out' | 'in' | 'channel';
}

/** An activation that carries a group's units along `axis` (for activation matching), before any Flatten. */
export interface ActivationPoint { value: string; axis: number }

export interface PermGroup {
  /** P_<first producer's layer> ("P_layers.0", "P_block_1.0"). */
  name: string;
  size: number;
  axes: AxisRef[];
  /** The layers (weights) whose outputs it permutes. */
  producers: string[];
  /** Where its units are seen as activations: the inputs of the layers that consume them. */
  points: ActivationPoint[];
}

export interface SpecIssue { node: string; opType: string; message: string }

export interface PermutationSpec {
  groups: PermGroup[];
  /** Hidden axes left unpermuted, and why (graph output, an op not understood, …). */
  fixed: { producers: string[]; reason: string }[];
  /** Ops met on a permuted axis that the spec does not understand (their axes are left unpermuted). */
  unsupported: SpecIssue[];
}

interface Carry { v: number; axis: number; block: number; origin: ActivationPoint }

/** Union-find over permutation variables, with each root's size and reasons to leave it unpermuted. */
class Vars {
  parent: number[] = [];
  size: number[] = [];
  producers: string[][] = [];
  fixed: (string | undefined)[] = [];
  make(size: number, producer: string): number {
    const id = this.parent.length;
    this.parent.push(id); this.size.push(size); this.producers.push([producer]); this.fixed.push(undefined);
    return id;
  }
  find(x: number): number {
    while (this.parent[x] !== x) { this.parent[x] = this.parent[this.parent[x]]; x = this.parent[x]; }
    return x;
  }
  union(a: number, b: number): string | undefined {
    const ra = this.find(a), rb = this.find(b);
    if (ra === rb) return undefined;
    const [lo, hi] = ra < rb ? [ra, rb] : [rb, ra]; // the older one stays the root (names the group)
    this.parent[hi] = lo;
    for (const p of this.producers[hi]) this.producers[lo].push(p); // no spread: a group may gather many producers
    this.fixed[lo] ??= this.fixed[hi];
    if (this.size[lo] !== this.size[hi]) {
      this.fixed[lo] ??= `joins axes of ${this.size[lo]} and ${this.size[hi]} units`;
      return 'size mismatch';
    }
    return undefined;
  }
  fix(x: number, reason: string): void { const r = this.find(x); this.fixed[r] ??= reason; }
}

const PASS_THROUGH = new Set([
  'Relu', 'LeakyRelu', 'PRelu', 'Sigmoid', 'Tanh', 'Identity', 'Elu', 'Selu', 'Celu', 'Gelu', 'Erf', 'Softplus', 'Softsign',
  'HardSigmoid', 'HardSwish', 'Mish', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Clip', 'Dropout', 'Cast', 'Softmax', 'LogSoftmax',
]);
const POOLS = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool']);
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Sum', 'Max', 'Min', 'Pow']);
const RESHAPES = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze']);
/** Ops that only read a tensor's shape: a permutation does not change what they give. */
const SHAPE_ONLY = new Set(['Shape', 'Size']);

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function int64Values(t: TensorProto | undefined): number[] | undefined {
  if (!t) return undefined;
  if (t.int64Data) return t.int64Data.map(Number);
  if (t.rawData) return Array.from(new BigInt64Array(new Uint8Array(t.rawData).buffer), Number);
  return undefined;
}

/** A layer's name from its weight ("layers.0.weight" → "layers.0"). */
function layerOf(weight: string): string { return weight.replace(/\.(weight|kernel)$/, ''); }

/**
 * The carry of a value reshaped from `inShape` to `outShape` (Flatten, Reshape, Squeeze, Unsqueeze): the
 * carried axis must map onto one output axis whose entries group into the same units.
 */
function reshapeCarry(c: Carry, n: number, inShape: number[], outShape: number[]): { axis: number; block: number } | undefined {
  const outer = prod(inShape.slice(0, c.axis));
  const span = c.block * prod(inShape.slice(c.axis + 1)); // entries of one unit's slab
  let acc = 1;
  for (let b = 0; b < outShape.length; b++) {
    if (acc === outer) {
      const innerB = prod(outShape.slice(b + 1));
      if (innerB === 0 || span % innerB !== 0) return undefined;
      const block = span / innerB;
      if (outShape[b] === n * block) return { axis: b, block };
      if (outShape[b] !== 1) return undefined;
    }
    acc *= outShape[b];
    if (acc > outer) return undefined;
  }
  return undefined;
}

/** Derives the permutation spec of a net (its graph; the state is needed to run it once for the shapes). */
export async function derivePermutationSpec(net: { graph: ArchitectureGraph; state: StateDict }, o: { tied?: string[][] } = {}): Promise<PermutationSpec> {
  const g = net.graph;
  const model = inferenceModel(g, net.state);
  const shapes = await probeShapes(model.graph, { [g.inputName]: [2, ...g.inputShape] });
  const params = new Set(g.tensors.filter((t) => t.dtype === 'f32').map((t) => t.name));
  const constants = new Map(g.constants.map((t) => [t.name, t]));
  const canonical = new Map<string, string>();
  for (const group of o.tied ?? []) for (const n of group) canonical.set(n, group[0]);
  const key = (t: string) => canonical.get(t) ?? t;

  const vars = new Vars();
  const carry = new Map<string, Carry>();
  /** Param axis "name#axis" → the variables tied to it, with their block and role. */
  const paramAxes = new Map<string, { tensor: string; axis: number; role: AxisRef['role']; ties: { v: number; block: number }[] }>();
  const points = new Map<number, ActivationPoint[]>();
  const unsupported: SpecIssue[] = [];
  const paramsOfUnsupported: string[] = [];

  const tie = (tensor: string, axis: number, v: number, block: number, role: AxisRef['role']) => {
    const k = `${key(tensor)}#${axis}`;
    const e = paramAxes.get(k) ?? { tensor: key(tensor), axis, role, ties: [] };
    e.ties.push({ v, block });
    paramAxes.set(k, e);
  };
  const addPoint = (c: Carry) => {
    const list = points.get(c.v) ?? [];
    if (!list.some((p) => p.value === c.origin.value)) list.push(c.origin);
    points.set(c.v, list);
  };
  const nodeName = (n: NodeProto, i: number) => n.name || `${n.opType}#${i}`;
  const refuse = (n: NodeProto, i: number, message: string) => {
    unsupported.push({ node: nodeName(n, i), opType: n.opType, message });
    for (const x of n.input) {
      const c = carry.get(x);
      if (c) vars.fix(c.v, `meets ${n.opType} (${nodeName(n, i)}), which the spec does not understand`);
      if (params.has(x)) paramsOfUnsupported.push(x);
    }
  };
  const shapeOf = (x: string) => shapes.get(x) ?? [];

  g.nodes.forEach((n, i) => {
    const ins = n.input.map((x) => (x ? carry.get(x) : undefined));
    const anyCarry = ins.some((c) => c);
    const out = n.output[0];
    const setOut = (c: Carry) => carry.set(out, c);
    const fresh = (weight: string, size: number) => vars.make(size, layerOf(weight));
    const outPoint = (axis: number): ActivationPoint => ({ value: out, axis });
    switch (n.opType) {
      case 'Gemm': {
        const [, w, b] = n.input;
        if (!params.has(w) || getAttr(n, 'transA', 0) !== 0) {
          if (anyCarry) refuse(n, i, !params.has(w) ? 'its B input is not a weight of the model' : 'transA = 1 is not followed');
          return;
        }
        const transB = getAttr(n, 'transB', 0) === 1;
        const [outAxis, inAxis] = transB ? [0, 1] : [1, 0];
        const c = ins[0];
        if (c) {
          if (c.axis !== 1) return refuse(n, i, `its input is permuted on axis ${c.axis}, not its features`);
          tie(w, inAxis, c.v, c.block, 'in');
          addPoint(c);
        }
        const size = shapeOf(w)[outAxis];
        const p = fresh(w, size);
        tie(w, outAxis, p, 1, 'out');
        if (b && params.has(b)) {
          const bs = shapeOf(b);
          if (bs.length && bs[bs.length - 1] === size) tie(b, bs.length - 1, p, 1, 'out');
        }
        setOut({ v: p, axis: 1, block: 1, origin: outPoint(1) });
        return;
      }
      case 'MatMul': {
        const [x, w] = n.input;
        const ws = shapeOf(w);
        if (!params.has(w) || ws.length !== 2) {
          if (anyCarry) refuse(n, i, 'only a MatMul by a 2-D weight of the model is followed');
          return;
        }
        const rank = shapeOf(x).length;
        const c = ins[0];
        if (c) {
          if (c.axis !== rank - 1) return refuse(n, i, `its input is permuted on axis ${c.axis}, not its last (features) axis`);
          tie(w, 0, c.v, c.block, 'in'); // MatMul initialisers are in×out
          addPoint(c);
        }
        const p = fresh(w, ws[1]);
        tie(w, 1, p, 1, 'out');
        setOut({ v: p, axis: rank - 1, block: 1, origin: outPoint(rank - 1) });
        return;
      }
      case 'Conv': {
        const [, w, b] = n.input;
        if (!params.has(w)) { if (anyCarry) refuse(n, i, 'its weight is not a weight of the model'); return; }
        const ws = shapeOf(w);
        const group = getAttr(n, 'group', 1);
        const cin = shapeOf(n.input[0])[1];
        const c = ins[0];
        if (c && c.block !== 1) return refuse(n, i, 'its input channels are blocks of a reshape');
        if (group === 1) {
          if (c) { tie(w, 1, c.v, 1, 'in'); addPoint(c); }
          const p = fresh(w, ws[0]);
          tie(w, 0, p, 1, 'out');
          if (b && params.has(b)) tie(b, 0, p, 1, 'out');
          setOut({ v: p, axis: 1, block: 1, origin: outPoint(1) });
        } else if (group === cin && ws[0] === cin) {
          // depthwise: each output channel is its input channel's own filter, so it keeps the input's order
          if (c) {
            tie(w, 0, c.v, 1, 'channel');
            if (b && params.has(b)) tie(b, 0, c.v, 1, 'channel');
            setOut({ ...c, origin: outPoint(1) });
          }
        } else if (c) refuse(n, i, `grouped convolution (group = ${group}) is not followed`);
        return;
      }
      case 'BatchNormalization': {
        const c = ins[0];
        if (!c) return;
        if (c.axis !== 1 || c.block !== 1) return refuse(n, i, 'its input is not permuted on the channel axis');
        for (const t of n.input.slice(1)) if (params.has(t)) tie(t, 0, c.v, 1, 'channel');
        setOut({ ...c, origin: outPoint(1) });
        return;
      }
      default:
    }
    if (!anyCarry) return;
    if (PASS_THROUGH.has(n.opType)) {
      const c = ins[0]!;
      if (!c || ins.slice(1).some((x) => x)) return refuse(n, i, 'a permuted value feeds one of its parameters');
      setOut(c.block === 1 ? { ...c, origin: { value: out, axis: c.axis } } : c);
      return;
    }
    if (POOLS.has(n.opType)) {
      const c = ins[0]!;
      if (c.axis !== 1 || c.block !== 1) return refuse(n, i, 'pooling over a permuted axis');
      setOut({ ...c, origin: outPoint(1) });
      return;
    }
    if (SHAPE_ONLY.has(n.opType)) return;
    if (RESHAPES.has(n.opType)) {
      const c = ins[0];
      if (!c || ins.slice(1).some((x) => x)) return refuse(n, i, 'a permuted value gives the new shape');
      const r = reshapeCarry(c, vars.size[vars.find(c.v)], shapeOf(n.input[0]), shapeOf(out));
      if (!r) return refuse(n, i, `the reshape from [${shapeOf(n.input[0]).join(', ')}] to [${shapeOf(out).join(', ')}] splits the permuted axis`);
      setOut({ v: c.v, axis: r.axis, block: r.block, origin: r.block === 1 ? outPoint(r.axis) : c.origin });
      return;
    }
    if (n.opType === 'Transpose') {
      const c = ins[0]!;
      const rank = shapeOf(n.input[0]).length;
      const perm = getAttr(n, 'perm', Array.from({ length: rank }, (_, k) => rank - 1 - k));
      const axis = perm.indexOf(c.axis);
      setOut({ ...c, axis, origin: c.block === 1 ? outPoint(axis) : c.origin });
      return;
    }
    if (n.opType === 'ReduceMean' || n.opType === 'ReduceSum' || n.opType === 'ReduceMax') {
      const c = ins[0]!;
      const rank = shapeOf(n.input[0]).length;
      const axes = (getAttr(n, 'axes', [] as number[]).length ? getAttr(n, 'axes', [] as number[]) : int64Values(constants.get(n.input[1])) ?? [])
        .map((a) => (a < 0 ? a + rank : a));
      if (!axes.length || axes.includes(c.axis)) return refuse(n, i, 'it reduces over the permuted axis');
      const keep = getAttr(n, 'keepdims', 1) === 1;
      const axis = keep ? c.axis : c.axis - axes.filter((a) => a < c.axis).length;
      setOut({ ...c, axis, origin: c.block === 1 ? outPoint(axis) : c.origin });
      return;
    }
    if (ELEMENTWISE.has(n.opType)) {
      const outRank = shapeOf(out).length;
      const carried = ins.map((c, k) => (c ? { c, k, axis: c.axis + outRank - shapeOf(n.input[k]).length } : undefined)).filter((x) => x) as { c: Carry; k: number; axis: number }[];
      const first = carried[0];
      if (carried.some((x) => x.axis !== first.axis || x.c.block !== first.c.block)) return refuse(n, i, 'its inputs are permuted on different axes');
      // residual connections: one permutation for every operand
      for (const x of carried.slice(1)) vars.union(first.c.v, x.c.v);
      for (let k = 0; k < n.input.length; k++) {
        if (ins[k]) continue;
        const s = shapeOf(n.input[k]);
        const at = first.axis - (outRank - s.length);
        const dim = at >= 0 ? s[at] : 1;
        if (dim === 1) continue; // broadcast along the permuted axis: order does not matter
        if (params.has(n.input[k])) tie(n.input[k], at, first.c.v, first.c.block, 'channel');
        else vars.fix(first.c.v, `meets ${constants.has(n.input[k]) ? 'a constant' : n.input[k] === g.inputName ? 'the graph input' : `an unpermuted value (${n.input[k]})`} in ${n.opType} (${nodeName(n, i)})`);
      }
      setOut({ ...first.c, axis: first.axis, origin: first.c.block === 1 ? outPoint(first.axis) : first.c.origin });
      return;
    }
    refuse(n, i, `${n.opType} is not an op the permutation spec follows`);
  });

  for (const c of [carry.get(g.outputName)]) if (c) vars.fix(c.v, 'reaches the graph output');
  for (const o2 of model.graph.output) { const c = carry.get(o2.name); if (c) vars.fix(c.v, 'reaches the graph output'); }

  // A weight axis met by several permutations (tied weights, a shared layer) makes them one.
  for (const e of paramAxes.values()) {
    for (const t of e.ties.slice(1)) {
      vars.union(e.ties[0].v, t.v);
      if (t.block !== e.ties[0].block) vars.fix(t.v, `tensor "${e.tensor}" axis ${e.axis} is met in blocks of ${e.ties[0].block} and ${t.block}`);
    }
  }
  for (const p of paramsOfUnsupported) {
    for (const e of paramAxes.values()) if (e.tensor === key(p)) for (const t of e.ties) vars.fix(t.v, `its tensor "${p}" is used by an op the spec does not understand`);
  }

  const roots = [...new Set(vars.parent.map((_, v) => vars.find(v)))].sort((a, b) => a - b);
  const groups: PermGroup[] = [];
  const fixed: PermutationSpec['fixed'] = [];
  for (const r of roots) {
    if (vars.fixed[r]) { fixed.push({ producers: vars.producers[r], reason: vars.fixed[r]! }); continue; }
    const axes: AxisRef[] = [];
    for (const e of paramAxes.values()) {
      const t = e.ties.find((x) => vars.find(x.v) === r);
      if (!t) continue;
      const names = o.tied?.find((grp) => grp[0] === e.tensor) ?? [e.tensor];
      for (const name of names) axes.push({ tensor: name, axis: e.axis, block: t.block, role: e.role });
    }
    const pts = vars.parent.map((_, v) => v).filter((v) => vars.find(v) === r).flatMap((v) => points.get(v) ?? []);
    groups.push({ name: `P_${vars.producers[r][0]}`, size: vars.size[r], axes, producers: vars.producers[r], points: pts.filter((p, k) => pts.findIndex((q) => q.value === p.value) === k) });
  }
  return { groups, fixed, unsupported };
}
