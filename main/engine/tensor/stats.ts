// Per-tensor statistics for the tensor table's detail pane, computed on demand in one streaming pass
// over the raw bytes: chunks are converted to f32 (f64 kept exact) and folded into running totals.
import { DTYPE_SIZE, toFloat32, type DType } from './dtypes';

export interface TensorStats {
  count: number;
  /** Over finite values only; null when there are none. */
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Population standard deviation (as torch.std(unbiased=False)). */
  std: number | null;
  zeros: number;
  nan: number;
  inf: number;
}

const CHUNK_ELEMENTS = 1 << 16;

/** Running totals merged chunk by chunk (Chan et al.), so the mean and variance stay accurate. */
class Accumulator {
  n = 0; mean = 0; m2 = 0;
  min = Infinity; max = -Infinity;
  zeros = 0; nan = 0; inf = 0;

  add(values: ArrayLike<number>): void {
    let n = 0; let sum = 0;
    let min = this.min; let max = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== v) { this.nan++; continue; }
      if (v === Infinity || v === -Infinity) { this.inf++; continue; }
      if (v === 0) this.zeros++;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      n++;
    }
    this.min = min; this.max = max;
    if (!n) return;
    const mean = sum / n;
    let m2 = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === v && v !== Infinity && v !== -Infinity) m2 += (v - mean) * (v - mean);
    }
    const total = this.n + n;
    const delta = mean - this.mean;
    this.m2 += m2 + (delta * delta * this.n * n) / total;
    this.mean += (delta * n) / total;
    this.n = total;
  }

  result(count: number): TensorStats {
    const any = this.n > 0;
    return {
      count,
      min: any ? this.min : null,
      max: any ? this.max : null,
      mean: any ? this.mean : null,
      std: any ? Math.sqrt(this.m2 / this.n) : null,
      zeros: this.zeros, nan: this.nan, inf: this.inf,
    };
  }
}

/** Stats of raw little-endian bytes of `dtype` (as TensorInfo.read() returns them). */
export function tensorStats(bytes: Uint8Array, dtype: DType): TensorStats {
  const size = DTYPE_SIZE[dtype];
  const count = Math.floor(bytes.byteLength / size);
  const acc = new Accumulator();
  for (let first = 0; first < count; first += CHUNK_ELEMENTS) {
    const chunk = bytes.subarray(first * size, Math.min(count, first + CHUNK_ELEMENTS) * size);
    if (dtype === 'f64') {
      // f64 values would lose precision through f32
      const view = chunk.byteOffset % 8 ? new Float64Array(chunk.slice().buffer) : new Float64Array(chunk.buffer, chunk.byteOffset, chunk.byteLength / 8);
      acc.add(view);
    } else acc.add(toFloat32(chunk, dtype));
  }
  return acc.result(count);
}

/** Stats of one tensor of a ModelSource, fetched with its positioned read. */
export async function statsOf(tensor: { dtype: DType; read(): Promise<Uint8Array> }): Promise<TensorStats> {
  return tensorStats(await tensor.read(), tensor.dtype);
}
