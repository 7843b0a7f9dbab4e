// The layer ops of a permutation spec: Gemm, MatMul and Conv make a new permutation of their output units
// and tie their weights' input axis to the permutation they receive; BatchNorm and depthwise Conv carry the
// received one through their per-channel parameters.
import { getAttr } from '../onnx/builder';
import type { NodeAt, OpHandler, SpecTrace } from './spec-trace';

function gemm(t: SpecTrace, at: NodeAt): void {
  const n = at.node;
  const [, w, b] = n.input;
  if (!t.params.has(w) || getAttr(n, 'transA', 0) !== 0) {
    if (at.anyCarry) t.refuse(at, !t.params.has(w) ? 'its B input is not a weight of the model' : 'transA = 1 is not followed');
    return;
  }
  const transB = getAttr(n, 'transB', 0) === 1;
  const [outAxis, inAxis] = transB ? [0, 1] : [1, 0];
  const c = at.ins[0];
  if (c) {
    if (c.axis !== 1) return t.refuse(at, `its input is permuted on axis ${c.axis}, not its features`);
    t.tie(w, inAxis, c.v, c.block, 'in');
    t.addPoint(c);
  }
  const size = t.shapeOf(w)[outAxis];
  const p = t.fresh(w, size);
  t.tie(w, outAxis, p, 1, 'out');
  if (b && t.params.has(b)) {
    const bs = t.shapeOf(b);
    if (bs.length && bs[bs.length - 1] === size) t.tie(b, bs.length - 1, p, 1, 'out');
  }
  t.setOut(at, { v: p, axis: 1, block: 1, origin: t.outPoint(at, 1) });
}

function matMul(t: SpecTrace, at: NodeAt): void {
  const [x, w] = at.node.input;
  const ws = t.shapeOf(w);
  if (!t.params.has(w) || ws.length !== 2) {
    if (at.anyCarry) t.refuse(at, 'only a MatMul by a 2-D weight of the model is followed');
    return;
  }
  const rank = t.shapeOf(x).length;
  const c = at.ins[0];
  if (c) {
    if (c.axis !== rank - 1) return t.refuse(at, `its input is permuted on axis ${c.axis}, not its last (features) axis`);
    t.tie(w, 0, c.v, c.block, 'in'); // MatMul initialisers are in×out
    t.addPoint(c);
  }
  const p = t.fresh(w, ws[1]);
  t.tie(w, 1, p, 1, 'out');
  t.setOut(at, { v: p, axis: rank - 1, block: 1, origin: t.outPoint(at, rank - 1) });
}

function conv(t: SpecTrace, at: NodeAt): void {
  const n = at.node;
  const [, w, b] = n.input;
  if (!t.params.has(w)) { if (at.anyCarry) t.refuse(at, 'its weight is not a weight of the model'); return; }
  const ws = t.shapeOf(w);
  const group = getAttr(n, 'group', 1);
  const cin = t.shapeOf(n.input[0])[1];
  const c = at.ins[0];
  if (c && c.block !== 1) return t.refuse(at, 'its input channels are blocks of a reshape');
  if (group === 1) {
    if (c) { t.tie(w, 1, c.v, 1, 'in'); t.addPoint(c); }
    const p = t.fresh(w, ws[0]);
    t.tie(w, 0, p, 1, 'out');
    if (b && t.params.has(b)) t.tie(b, 0, p, 1, 'out');
    t.setOut(at, { v: p, axis: 1, block: 1, origin: t.outPoint(at, 1) });
  } else if (group === cin && ws[0] === cin) {
    // depthwise: each output channel is its input channel's own filter, so it keeps the input's order
    if (c) {
      t.tie(w, 0, c.v, 1, 'channel');
      if (b && t.params.has(b)) t.tie(b, 0, c.v, 1, 'channel');
      t.setOut(at, { ...c, origin: t.outPoint(at, 1) });
    }
  } else if (c) t.refuse(at, `grouped convolution (group = ${group}) is not followed`);
}

function batchNorm(t: SpecTrace, at: NodeAt): void {
  const c = at.ins[0];
  if (!c) return;
  if (c.axis !== 1 || c.block !== 1) return t.refuse(at, 'its input is not permuted on the channel axis');
  for (const x of at.node.input.slice(1)) if (t.params.has(x)) t.tie(x, 0, c.v, 1, 'channel');
  t.setOut(at, { ...c, origin: t.outPoint(at, 1) });
}

const LAYER_OPS = new Map<string, OpHandler>([['Gemm', gemm], ['MatMul', matMul], ['Conv', conv], ['BatchNormalization', batchNorm]]);

/** Follows a layer op, permuted input or not; false for any other op. */
export function followLayer(t: SpecTrace, at: NodeAt): boolean {
  const follow = LAYER_OPS.get(at.node.opType);
  follow?.(t, at);
  return follow !== undefined;
}
