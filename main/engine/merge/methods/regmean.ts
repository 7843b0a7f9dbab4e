// RegMean (Jin et al. 2023, "Dataless Knowledge Fusion by Merging Weights of Language Models", §3): for every
// linear layer, the weight that best reproduces all models' outputs on their own inputs, in closed form:
// W* = (Σ Gᵢ)⁻¹ Σ Gᵢ Wᵢ with Gᵢ = XᵢᵀXᵢ the Gram matrix of layer i's inputs (measured on each model's data
// sample, merge/data-aware/); every other tensor (biases, norms) is the plain average, as the authors' code.
// `alpha` scales the Grams' off-diagonal entries (their reduce_non_diag; the code's default leaves them, 1).
// Two documented differences: input features that are zero on every sample of every model (MNIST's border
// pixels, dead ReLU units) leave the system undetermined; those columns take the weighted mean and the rest is
// solved exactly (the reference's matrix inverse would fail). `conv` extends the closed form to convolutions
// on their input patches (the paper treats linear layers only).
import { z } from 'zod';
import { choleskySolve, SingularMatrixError } from '../kernels/cholesky';
import { weightedMean } from './fisher';
import { booleanParam, numberParam, type KernelInput, type MergeMethod } from './types';

const params = z.object({
  alpha: numberParam(0, 1, 1, 0.01, 'Scale of the Gram matrices\' off-diagonal entries (the paper\'s α; 1 keeps them, as the authors\' default; they used 0.1 for T5 and DeBERTa).'),
  conv: booleanParam(false, 'Also solve convolution weights on their input patches (an extension: the paper solves linear layers only).'),
}).strict();

type P = z.infer<typeof params>;

export function regmeanKernel({ models, weights, params: p, statistics, name, note }: KernelInput<P>): Float32Array {
  const gram = statistics?.gram;
  if (!gram) return weightedMean(models, weights);
  const { dim: d, layout, matrices } = gram;
  const out = models[0].length / d;
  const total = weights.reduce((a, b) => a + b, 0);
  const c = weights.map((w) => w / total);
  // A = Σ cᵢ G̃ᵢ; the features some sample sees (a zero diagonal entry of a Gram is a zero row and column)
  const A = new Float64Array(d * d);
  matrices.forEach((g, i) => {
    for (let r = 0; r < d; r++) {
      for (let k = 0; k < d; k++) A[r * d + k] += c[i] * (r === k ? g[r * d + k] : p.alpha * g[r * d + k]);
    }
  });
  const active: number[] = [];
  for (let r = 0; r < d; r++) if (A[r * d + r] > 0) active.push(r);
  const mean = weightedMean(models, weights);
  if (active.length < d) note?.(`${d - active.length} of ${d} input features are zero on every sample: their weights are the weighted mean`);
  if (active.length === 0) return mean;
  const a = active.length;
  // weight entry (o, k): W[o·d + k] for out-in, W[k·out + o] for in-out
  const at = layout === 'out-in' ? (w: Float32Array, o: number, k: number) => w[o * d + k] : (w: Float32Array, o: number, k: number) => w[k * out + o];
  const As = new Float64Array(a * a);
  for (let r = 0; r < a; r++) for (let k = 0; k < a; k++) As[r * a + k] = A[active[r] * d + active[k]];
  // B = Σ cᵢ G̃ᵢ Wᵢᵀ over the active features (a × out)
  const B = new Float64Array(a * out);
  const wt = new Float64Array(a * out);
  matrices.forEach((g, i) => {
    const w = models[i];
    for (let k = 0; k < a; k++) for (let o = 0; o < out; o++) wt[k * out + o] = at(w, o, active[k]);
    for (let r = 0; r < a; r++) {
      const gr = active[r] * d;
      for (let k = 0; k < a; k++) {
        const gk = active[k];
        const v = c[i] * (gk === active[r] ? g[gr + gk] : p.alpha * g[gr + gk]);
        if (v === 0) continue;
        const row = k * out;
        for (let o = 0; o < out; o++) B[r * out + o] += v * wt[row + o];
      }
    }
  });
  let X: Float64Array;
  try {
    X = choleskySolve(As, B, a, out);
  } catch (e) {
    if (!(e instanceof SingularMatrixError)) throw e;
    throw new Error(`RegMean cannot solve for ${name}: the Gram matrix of its input (${a} non-zero features) is singular on this sample; give more samples (data.samples) or set alpha below 1`);
  }
  const result = mean;
  for (let k = 0; k < a; k++) {
    for (let o = 0; o < out; o++) {
      const v = X[k * out + o];
      if (layout === 'out-in') result[o * d + active[k]] = v;
      else result[active[k] * out + o] = v;
    }
  }
  return result;
}

export const regmean: MergeMethod<P> = {
  id: 'regmean',
  label: 'RegMean',
  formula: 'W = (Σ wᵢG̃ᵢ)⁻¹ Σ wᵢG̃ᵢWᵢ per linear layer, Gᵢ = XᵢᵀXᵢ of its inputs on model i\'s data (off-diagonals × alpha); other tensors Σwᵢθᵢ/Σwᵢ',
  whenToUse: 'Use it when each model has its own task or data and you can give a sample of it: each layer is solved to reproduce every model\'s outputs on its inputs.',
  params,
  needsBase: false,
  minModels: 2,
  normalizesWeights: true,
  usesWeights: true,
  data: 'gram',
  statisticsParams: ['conv'],
  kernel: regmeanKernel,
};
