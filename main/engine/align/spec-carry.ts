// The ops a permutation passes through: activations, pooling, reshapes (Flatten turns a channel into a block
// of H×W entries), Transpose, reductions over other axes, and elementwise ops (a residual Add joins its
// operands' permutations). Anything else meeting a permuted value is refused.
import { getAttr } from '../onnx/builder';
import type { NodeProto, TensorProto } from '../onnx/proto';
import { nodeName, type Carry, type NodeAt, type OpHandler, type SpecTrace } from './spec-trace';

const PASS_THROUGH = new Set([
  'Relu', 'LeakyRelu', 'PRelu', 'Sigmoid', 'Tanh', 'Identity', 'Elu', 'Selu', 'Celu', 'Gelu', 'Erf', 'Softplus', 'Softsign',
  'HardSigmoid', 'HardSwish', 'Mish', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Clip', 'Dropout', 'Cast', 'Softmax', 'LogSoftmax',
]);
const POOLS = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool']);
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Sum', 'Max', 'Min', 'Pow']);
const RESHAPES = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze']);
const REDUCES = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax']);
/** Ops that only read a tensor's shape: a permutation does not change what they give. */
const SHAPE_ONLY = new Set(['Shape', 'Size']);

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function int64Values(t: TensorProto | undefined): number[] | undefined {
  if (!t) return undefined;
  if (t.int64Data) return t.int64Data.map(Number);
  if (t.rawData) return Array.from(new BigInt64Array(new Uint8Array(t.rawData).buffer), Number);
  return undefined;
}

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

/** `c` moved to `axis` of the output; the output is where its units are seen unless they are blocks. */
function movedTo(t: SpecTrace, at: NodeAt, c: Carry, axis: number): Carry {
  return { ...c, axis, origin: c.block === 1 ? t.outPoint(at, axis) : c.origin };
}

function passThrough(t: SpecTrace, at: NodeAt): void {
  const c = at.ins[0]!;
  if (!c || at.ins.slice(1).some((x) => x)) return t.refuse(at, 'a permuted value feeds one of its parameters');
  t.setOut(at, c.block === 1 ? { ...c, origin: { value: at.out, axis: c.axis } } : c);
}

function pool(t: SpecTrace, at: NodeAt): void {
  const c = at.ins[0]!;
  if (c.axis !== 1 || c.block !== 1) return t.refuse(at, 'pooling over a permuted axis');
  t.setOut(at, { ...c, origin: t.outPoint(at, 1) });
}

function reshape(t: SpecTrace, at: NodeAt): void {
  const c = at.ins[0];
  if (!c || at.ins.slice(1).some((x) => x)) return t.refuse(at, 'a permuted value gives the new shape');
  const inShape = t.shapeOf(at.node.input[0]), outShape = t.shapeOf(at.out);
  const r = reshapeCarry(c, t.vars.size[t.vars.find(c.v)], inShape, outShape);
  if (!r) return t.refuse(at, `the reshape from [${inShape.join(', ')}] to [${outShape.join(', ')}] splits the permuted axis`);
  t.setOut(at, { v: c.v, axis: r.axis, block: r.block, origin: r.block === 1 ? t.outPoint(at, r.axis) : c.origin });
}

function transpose(t: SpecTrace, at: NodeAt): void {
  const c = at.ins[0]!;
  const rank = t.shapeOf(at.node.input[0]).length;
  const perm = getAttr(at.node, 'perm', Array.from({ length: rank }, (_, k) => rank - 1 - k));
  t.setOut(at, movedTo(t, at, c, perm.indexOf(c.axis)));
}

/** A reduction's axes: its attribute (before opset 18), else its second input's constant. */
function reducedAxes(t: SpecTrace, n: NodeProto): number[] {
  const attr = getAttr(n, 'axes', [] as number[]);
  return attr.length ? attr : int64Values(t.constants.get(n.input[1])) ?? [];
}

function reduce(t: SpecTrace, at: NodeAt): void {
  const n = at.node;
  const c = at.ins[0]!;
  const rank = t.shapeOf(n.input[0]).length;
  const axes = reducedAxes(t, n).map((a) => (a < 0 ? a + rank : a));
  if (!axes.length || axes.includes(c.axis)) return t.refuse(at, 'it reduces over the permuted axis');
  const keep = getAttr(n, 'keepdims', 1) === 1;
  const axis = keep ? c.axis : c.axis - axes.filter((a) => a < c.axis).length;
  t.setOut(at, movedTo(t, at, c, axis));
}

/**
 * An unpermuted operand `k` of an elementwise op whose result carries `c` on `axis`: nothing when it
 * broadcasts along that axis, its axis tied to `c` when it is a weight, else `c` must stay unpermuted.
 */
function unpermutedOperand(t: SpecTrace, at: NodeAt, k: number, c: Carry, axis: number, outRank: number): void {
  const x = at.node.input[k];
  const s = t.shapeOf(x);
  const own = axis - (outRank - s.length);
  const dim = own >= 0 ? s[own] : 1;
  if (dim === 1) return; // broadcast along the permuted axis: order does not matter
  if (t.params.has(x)) t.tie(x, own, c.v, c.block, 'channel');
  else t.vars.fix(c.v, `meets ${t.constants.has(x) ? 'a constant' : x === t.inputName ? 'the graph input' : `an unpermuted value (${x})`} in ${at.node.opType} (${nodeName(at)})`);
}

function elementwise(t: SpecTrace, at: NodeAt): void {
  const n = at.node;
  const outRank = t.shapeOf(at.out).length;
  const carried = at.ins.map((c, k) => (c ? { c, k, axis: c.axis + outRank - t.shapeOf(n.input[k]).length } : undefined)).filter((x) => x) as { c: Carry; k: number; axis: number }[];
  const first = carried[0];
  if (carried.some((x) => x.axis !== first.axis || x.c.block !== first.c.block)) return t.refuse(at, 'its inputs are permuted on different axes');
  // residual connections: one permutation for every operand
  for (const x of carried.slice(1)) t.vars.union(first.c.v, x.c.v);
  for (let k = 0; k < n.input.length; k++) if (!at.ins[k]) unpermutedOperand(t, at, k, first.c, first.axis, outRank);
  t.setOut(at, movedTo(t, at, first.c, first.axis));
}

function unknownOp(t: SpecTrace, at: NodeAt): void {
  t.refuse(at, `${at.node.opType} is not an op the permutation spec follows`);
}

function carryHandler(op: string): OpHandler {
  if (PASS_THROUGH.has(op)) return passThrough;
  if (POOLS.has(op)) return pool;
  if (SHAPE_ONLY.has(op)) return () => {};
  if (RESHAPES.has(op)) return reshape;
  if (op === 'Transpose') return transpose;
  if (REDUCES.has(op)) return reduce;
  if (ELEMENTWISE.has(op)) return elementwise;
  return unknownOp;
}

/** Follows a node (not a layer op) that has a permuted input: the permutation passes through, or it is refused. */
export function followCarry(t: SpecTrace, at: NodeAt): void {
  carryHandler(at.node.opType)(t, at);
}
