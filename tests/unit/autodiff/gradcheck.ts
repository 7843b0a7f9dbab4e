// Central finite differences against our backward rules, on small random inputs, through onnxruntime.
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../../main/engine/onnx/builder';
import { encodeModel, TensorDataType } from '../../../main/engine/onnx/proto';
import { emitBackward, emitTrainingForward } from '../../../main/engine/autodiff/differentiate';
import { probeShapes } from '../../../main/engine/autodiff/shapes';
import { Rng } from '../../../main/engine/models/rng';

export interface CheckInput { name: string; shape: number[]; data?: Float32Array; grad?: boolean; int64?: number[] }
export interface GradCheckResult { worst: number; checked: number; analytic: Map<string, Float32Array>; seeds: Float32Array[] }

function declare(b: GraphBuilder, inputs: CheckInput[]): void {
  for (const i of inputs) b.input(i.name, i.int64 ? TensorDataType.INT64 : TensorDataType.FLOAT, i.shape);
}

function feedsOf(inputs: CheckInput[], data: Map<string, Float32Array>): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {};
  for (const i of inputs) {
    f[i.name] = i.int64 ? new ort.Tensor('int64', BigInt64Array.from(i.int64.map(BigInt)), i.shape) : new ort.Tensor('float32', data.get(i.name)!, i.shape);
  }
  return f;
}

/**
 * Check d(Σ_k out_k · R_k)/d(input) of `build` against central differences with step `eps`.
 * Returns the worst |analytic − numeric| / (atol + rtol·|numeric|) ratio (≤ 1 passes).
 */
export async function gradCheck(
  inputsIn: CheckInput[], build: (b: GraphBuilder) => string[],
  opts: { seed?: number; eps?: number; atol?: number; rtol?: number; maxPerInput?: number } = {},
): Promise<GradCheckResult> {
  let inputs = inputsIn;
  const rng = new Rng(opts.seed ?? 1);
  const eps = opts.eps ?? 1e-2, atol = opts.atol ?? 2e-3, rtol = opts.rtol ?? 1e-2;
  const data = new Map<string, Float32Array>();
  for (const i of inputs) {
    if (i.int64) continue;
    const n = i.shape.reduce((a, c) => a * c, 1);
    data.set(i.name, i.data ?? Float32Array.from({ length: n }, () => rng.normal()));
  }
  const shapeFeeds = Object.fromEntries(inputs.map((i) => [i.name, i.shape]));

  // forward graph for shapes
  const fb = new GraphBuilder('fwd');
  declare(fb, inputs);
  const outs = build(fb);
  for (const o of outs) fb.output(o);
  const shapes = await probeShapes(fb.toGraph(), shapeFeeds);
  const forwardNodes = fb.nodes;

  // training forward (what backward differentiates), also used for the numeric loss
  const tb = new GraphBuilder('train_fwd');
  declare(tb, inputs);
  tb.reserve(shapes.keys());
  for (const t of fb.initializers) tb.initializer(t);
  const masks: CheckInput[] = [];
  const maskFor = (builder: GraphBuilder) => (hint: string, shape: number[], spec: { ratio: number }) => {
    const k = builder === tb ? masks.length : gbMasks++;
    if (builder === tb) {
      const n = shape.reduce((a, c) => a * c, 1);
      const keep = 1 - spec.ratio;
      const m = { name: `mask_${k}`, shape, grad: false, data: Float32Array.from({ length: n }, () => (rng.next() < keep ? 1 / keep : 0)) };
      masks.push(m);
      data.set(m.name, m.data);
      return builder.input(m.name, TensorDataType.FLOAT, shape);
    }
    return `mask_${k}`; // declared with the other inputs of the gradient graph
  };
  let gbMasks = 0;
  const tf = emitTrainingForward(tb, forwardNodes, shapes, maskFor(tb), fb.initializers);
  inputs = [...inputs, ...masks];
  for (const o of outs) tb.output(o);
  const fwd = await ort.InferenceSession.create(encodeModel(tb.toModel()), { intraOpNumThreads: 1 });

  const seeds = outs.map((o) => Float32Array.from({ length: shapes.get(o)!.reduce((a, c) => a * c, 1) }, () => rng.normal()));
  const loss = async (d: Map<string, Float32Array>): Promise<number> => {
    const r = await fwd.run(feedsOf(inputs, d));
    let s = 0;
    outs.forEach((o, k) => { const y = r[o].data as Float32Array; for (let j = 0; j < y.length; j++) s += y[j] * seeds[k][j]; });
    return s;
  };

  // gradient graph
  const gb = new GraphBuilder('grad');
  declare(gb, inputs);
  gb.reserve(shapes.keys());
  for (const t of fb.initializers) gb.initializer(t);
  const gtf = emitTrainingForward(gb, forwardNodes, shapes, maskFor(gb), fb.initializers);
  const seedMap = new Map<string, string>();
  outs.forEach((o) => seedMap.set(o, gb.input(`seed_${o}`, TensorDataType.FLOAT, shapes.get(o)!)));
  const wrt = inputs.filter((i) => i.grad !== false && !i.int64).map((i) => i.name);
  void tf;
  const grads = emitBackward(gb, forwardNodes, shapes, wrt, seedMap, gtf.saved);
  for (const w of wrt) gb.output(grads.get(w)!, undefined);
  const gs = await ort.InferenceSession.create(encodeModel(gb.toModel()), { intraOpNumThreads: 1 });
  const gfeeds = feedsOf(inputs, data);
  outs.forEach((o, k) => { gfeeds[`seed_${o}`] = new ort.Tensor('float32', seeds[k], shapes.get(o)!); });
  const gres = await gs.run(gfeeds);
  const analytic = new Map<string, Float32Array>();
  for (const w of wrt) analytic.set(w, gres[grads.get(w)!].data as Float32Array);
  void tf;

  let worst = 0, checked = 0;
  for (const w of wrt) {
    const x = data.get(w)!;
    const a = analytic.get(w)!;
    if (a.length !== x.length) throw new Error(`gradient of ${w} has ${a.length} elements, input has ${x.length}`);
    const max = opts.maxPerInput ?? 48;
    const idx = x.length <= max ? Array.from(x.keys()) : Array.from({ length: max }, () => rng.int(x.length));
    for (const j of idx) {
      const orig = x[j];
      x[j] = orig + eps; const lp = await loss(data);
      x[j] = orig - eps; const lm = await loss(data);
      x[j] = orig;
      const num = (lp - lm) / (2 * eps);
      worst = Math.max(worst, Math.abs(a[j] - num) / (atol + rtol * Math.abs(num)));
      checked++;
    }
  }
  await fwd.release(); await gs.release();
  return { worst, checked, analytic, seeds };
}

/** Values spread apart (no ties, none near zero) for ops with kinks: ±(0.2 … 2) in random order. */
export function spread(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const p = rng.permutation(n);
  return Float32Array.from(p, (k) => (k % 2 ? 1 : -1) * (0.2 + (1.8 * k) / n));
}
