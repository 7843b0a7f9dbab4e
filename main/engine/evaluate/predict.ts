// Runs a model over a dataset in batches and collects its outputs (logits) for every example.
import * as ort from 'onnxruntime-node';
import { silentContext, throwIfCancelled, type JobContext } from '../job-context';
import { fromFloat32, toFloat32 } from '../tensor/dtypes';
import type { Dataset } from '../data/types';
import { planFeed, type FeedPlan } from './model-input';
import { detectOutputKind, toLogitsInPlace, type OutputKind } from './output-kind';
import { argmaxRows } from './metrics';
import { modelName, openSession, type ModelInput } from './session';

export interface PredictOptions {
  /** Examples per run (default 256); a model with a fixed batch dimension uses its own. */
  batchSize?: number;
  /** The input that takes the data (default: the model's only input). */
  inputName?: string;
  /** The output holding logits (default: the first output). */
  outputName?: string;
  /** What the output holds; "auto" (default) reads it from the op that produces it (Softmax, LogSoftmax, else logits). */
  outputKind?: OutputKind | 'auto';
  /** Passed to onnxruntime (execution providers, threads). */
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

export interface Predictions {
  /** n × numOutputs logits, example-major, float32 (log-probabilities for models ending in (Log)Softmax). */
  logits: Float32Array;
  /** What the model's output held before conversion. */
  outputKind: OutputKind;
  numOutputs: number;
  /** Argmax class per example. */
  predictions: Int32Array;
  n: number;
}

function feedTensor(plan: FeedPlan, values: Float32Array, batch: number): ort.Tensor {
  const dims = [batch, ...plan.exampleShape];
  if (plan.type === 'float32') return new ort.Tensor('float32', values, dims);
  if (plan.type === 'float64') return new ort.Tensor('float64', Float64Array.from(values), dims);
  const bits = fromFloat32(values, 'f16');
  return new ort.Tensor('float16', new Uint16Array(bits.buffer, bits.byteOffset, bits.byteLength / 2), dims);
}

function outputToFloat32(t: ort.Tensor, name: string): Float32Array {
  const data = t.data;
  if (data instanceof Float32Array) return data;
  if (data instanceof Float64Array) return Float32Array.from(data);
  if (t.type === 'float16') {
    const a = data as Uint16Array;
    return toFloat32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), 'f16');
  }
  throw new Error(`${name}: output is ${t.type}; evaluation needs float logits`);
}

export async function predict(model: ModelInput, d: Dataset, opts: PredictOptions = {}, ctx: JobContext = silentContext()): Promise<Predictions> {
  const name = modelName(model);
  const session = await openSession(model, opts.sessionOptions);
  try {
    const plan = planFeed(session, d, name, opts.inputName, opts.outputName);
    const batchSize = plan.fixedBatch ?? opts.batchSize ?? 256;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
    const per = d.inputShape.reduce((a, b) => a * b, 1);
    let logits: Float32Array | null = null;
    let k = 0;
    for (let start = 0; start < d.size; start += batchSize) {
      throwIfCancelled(ctx);
      const count = Math.min(batchSize, d.size - start);
      let values = d.inputs.subarray(start * per, (start + count) * per);
      if (plan.fixedBatch && count < batchSize) {
        // A fixed-batch model gets a zero-padded last batch; the padding rows are dropped below.
        const padded = new Float32Array(batchSize * per);
        padded.set(values);
        values = padded;
      }
      const fed = plan.fixedBatch ?? count;
      const out = await session.run({ [plan.inputName]: feedTensor(plan, values, fed) }, [plan.outputName]);
      const y = outputToFloat32(out[plan.outputName] as ort.Tensor, name);
      if (!logits) {
        k = y.length / fed;
        if (!Number.isInteger(k) || k < 1) throw new Error(`${name}: output "${plan.outputName}" has ${y.length} values for a batch of ${fed}; expected [batch, classes]`);
        logits = new Float32Array(d.size * k);
      } else if (y.length !== fed * k) {
        throw new Error(`${name}: output "${plan.outputName}" changed size between batches (${y.length} values for ${fed} examples, expected ${fed * k})`);
      }
      logits.set(y.subarray(0, count * k), start * k);
      ctx.progress({ done: start + count, total: d.size, unit: 'examples', message: `evaluating on ${d.id}` });
    }
    logits ??= new Float32Array(0);
    const outputKind = !opts.outputKind || opts.outputKind === 'auto' ? await detectOutputKind(model, plan.outputName) : opts.outputKind;
    toLogitsInPlace(logits, outputKind);
    return { logits, outputKind, numOutputs: k, predictions: argmaxRows(logits, k || 1), n: d.size };
  } finally {
    await session.release();
  }
}
