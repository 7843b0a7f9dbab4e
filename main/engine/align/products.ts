// X·Yᵀ for the n×m row-major matrices alignment builds (n units, m features each): the n×n similarity of every
// unit of one model with every unit of the other. Large products run on onnxruntime (MLAS, every core), small
// ones in a typed-array loop, where a session call would cost more than the arithmetic.
import * as ort from 'onnxruntime-node';
import { buildModel, valueInfo } from '../onnx/builder';
import { encodeModel, TensorDataType } from '../onnx/proto';
import { createOrtSession } from '../runtime/ort-log';

/** Below this many multiply-adds the loop wins over a session call (measured in bench/align.ts). */
const LOOP_MAX_MACS = 1 << 18;

export class Products {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(threads?: number): Promise<Products> {
    const model = buildModel({
      name: 'xyt',
      node: [{ name: 'gemm', opType: 'Gemm', input: ['x', 'y'], output: ['z'], attribute: [{ name: 'transB', type: 2, i: 1 }] }],
      initializer: [],
      input: [valueInfo('x', TensorDataType.FLOAT, ['n', 'm']), valueInfo('y', TensorDataType.FLOAT, ['k', 'm'])],
      output: [valueInfo('z', TensorDataType.FLOAT, ['n', 'k'])],
      valueInfo: [],
    });
    const session = await createOrtSession(encodeModel(model), { intraOpNumThreads: threads ?? 0, graphOptimizationLevel: 'all' });
    return new Products(session);
  }

  /** X (n×m) · Y (k×m)ᵀ → n×k. */
  async xyT(x: Float32Array, y: Float32Array, n: number, k: number, m: number): Promise<Float32Array> {
    if (n * k * m <= LOOP_MAX_MACS) return xyTLoop(x, y, n, k, m);
    const r = await this.session.run({ x: new ort.Tensor('float32', x, [n, m]), y: new ort.Tensor('float32', y, [k, m]) });
    return r.z.data as Float32Array;
  }

  release(): Promise<void> { return this.session.release(); }
}

/** The same product in a plain loop (float64 accumulation). */
export function xyTLoop(x: Float32Array, y: Float32Array, n: number, k: number, m: number): Float32Array {
  const z = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const xi = i * m;
    for (let j = 0; j < k; j++) {
      const yj = j * m;
      let s = 0;
      for (let t = 0; t < m; t++) s += x[xi + t] * y[yj + t];
      z[i * k + j] = s;
    }
  }
  return z;
}
