// One planned tensor's output bytes from its inputs: a copy (converted to the output dtype when it must
// be), or the method's kernel, big linear merges in a worker thread.
import { isShared } from '../formats/offload-hash';
import { fromFloat32, toFloat32, type DType } from '../tensor/dtypes';
import type { SharedArena } from './kernels/arena';
import { linearPool, POOL_MIN_ELEMENTS } from './kernels/pool';
import type { MergeMethod } from './methods';
import type { PlannedTensor } from './plan';
import type { Inputs } from './tensor-reads';

/** Bytes → f32 values: a view when already aligned f32 (no copy), else a conversion. */
function asFloat32(bytes: Uint8Array, dtype: DType): Float32Array {
  if (dtype === 'f32' && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return toFloat32(bytes, dtype);
}

/**
 * Merges (or copies) one tensor into the bytes to write; big linear merges run in a worker thread, into a
 * shared buffer taken from `buffers` (returned as `buffer`, to give back once written).
 */
export async function computeTensor(t: PlannedTensor, method: MergeMethod, inputs: Inputs, buffers: SharedArena, note?: (message: string) => void): Promise<{ bytes: Uint8Array; buffer?: Uint8Array }> {
  if (t.action.kind === 'copy') {
    const info = inputs.infos[0];
    if (info.dtype === t.outputDType) return { bytes: inputs.data[0] };
    return { bytes: fromFloat32(toFloat32(inputs.data[0], info.dtype), t.outputDType) };
  }
  const models = inputs.data.map((d, i) => asFloat32(d, inputs.infos[i].dtype));
  const base = inputs.base ? asFloat32(inputs.base.data, inputs.base.info.dtype) : undefined;
  const input = { models, base, weights: t.weights, params: t.params, modelParams: t.modelParams, seed: t.seed, name: t.name, shape: t.shape, note };
  if (method.linearForm && t.strength === 1 && models[0].length >= POOL_MIN_ELEMENTS) {
    // Inputs in shared memory are read by the worker in place (others move to it: nothing here touches
    // them afterwards); the result lands in a shared buffer, which the output's hashers read in place.
    const { inputs: xs, coefs } = method.linearForm(input);
    // Bytes not in shared memory may move to the worker (detached here): their hashers take them first.
    if (inputs.data.some((d) => !isShared(d)) || (inputs.base && !isShared(inputs.base.data))) await Promise.all(inputs.hashed);
    const buffer = buffers.take(xs[0].length * 4);
    const into = new Float32Array(buffer.buffer, buffer.byteOffset, xs[0].length);
    let result = into; // the SIMD kernel, when everything lies in the arena
    if (!(await linearPool().combineInArena(buffers, xs, coefs, into))) {
      const { out } = await linearPool().combineLending(xs, coefs, into);
      // Filled in place when the worker could: its reply is then another view (another SharedArrayBuffer
      // object) of the same memory, so the bytes are taken from our own view, which the checks below know.
      result = isShared(out) ? into : out;
    }
    const bytes = fromFloat32(result, t.outputDType);
    if (bytes.buffer === buffer.buffer) return { bytes, buffer };
    buffers.give([buffer]);
    return { bytes };
  }
  // A kernel on this thread may work in place on its inputs: the parents' hashers finish with them first.
  await Promise.all(inputs.hashed);
  let out = method.kernel(input);
  if (t.strength !== 1) {
    // Layer strength: blend the method's result with the first model (0 = keep model 0).
    const first = models[0];
    const s = t.strength;
    if (out === first) out = Float32Array.from(out);
    for (let i = 0; i < out.length; i++) out[i] = first[i] + s * (out[i] - first[i]);
  }
  return { bytes: fromFloat32(out, t.outputDType) };
}
