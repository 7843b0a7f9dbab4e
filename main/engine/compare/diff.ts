// Per-layer weight differences between two models: for every floating-point tensor both files hold with the
// same shape, the cosine similarity cos(a, b) = a·b / (‖a‖‖b‖) and the relative L2 distance ‖a − b‖ / ‖a‖
// (sums in float64). Read straight from the files, one tensor at a time, so it works for any format.
import { openModel } from '../formats/registry';
import { silentContext, throwIfCancelled, type JobContext } from '../job-context';
import { isFloatDType, toFloat32 } from '../tensor/dtypes';

export interface TensorDiff {
  name: string;
  shape: number[];
  /** a·b / (‖a‖‖b‖); 1 when both are all zeros, 0 when only one is. */
  cosine: number;
  /** ‖a − b‖ / ‖a‖ (‖a − b‖ itself when ‖a‖ = 0). */
  relativeL2: number;
}

export interface WeightDiff {
  a: string;
  b: string;
  tensors: TensorDiff[];
  /** Tensors of one file the other lacks or holds with another shape or a non-float type. */
  skipped: string[];
}

export function tensorDiff(a: Float32Array, b: Float32Array): { cosine: number; relativeL2: number } {
  if (a.length !== b.length) throw new Error(`tensorDiff: ${a.length} values against ${b.length}`);
  let ab = 0, aa = 0, bb = 0, dd = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i], d = x - y;
    ab += x * y; aa += x * x; bb += y * y; dd += d * d;
  }
  const cosine = aa === 0 && bb === 0 ? 1 : aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
  return { cosine, relativeL2: aa === 0 ? Math.sqrt(dd) : Math.sqrt(dd / aa) };
}

export async function weightDiff(fileA: string, fileB: string, ctx: JobContext = silentContext()): Promise<WeightDiff> {
  const [a, b] = [await openModel(fileA), await openModel(fileB)];
  try {
    const inB = new Map(b.tensors.map((t) => [t.name, t]));
    const tensors: TensorDiff[] = [];
    const skipped: string[] = [];
    const candidates = a.tensors.filter((t) => isFloatDType(t.dtype));
    for (const [i, ta] of candidates.entries()) {
      throwIfCancelled(ctx);
      const tb = inB.get(ta.name);
      if (!tb || !isFloatDType(tb.dtype) || tb.shape.join('x') !== ta.shape.join('x')) { skipped.push(ta.name); continue; }
      const d = tensorDiff(toFloat32(await ta.read(), ta.dtype), toFloat32(await tb.read(), tb.dtype));
      tensors.push({ name: ta.name, shape: ta.shape, ...d });
      ctx.progress({ done: i + 1, total: candidates.length, unit: 'tensors', message: ta.name });
    }
    const inA = new Set(a.tensors.map((t) => t.name));
    for (const t of b.tensors) if (!inA.has(t.name) && isFloatDType(t.dtype)) skipped.push(t.name);
    return { a: fileA, b: fileB, tensors, skipped };
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}
