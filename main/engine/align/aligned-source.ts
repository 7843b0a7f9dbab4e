// An aligned model as a ModelSource: the original file's tensors (names, dtypes, order, metadata), with the ones
// alignment changed served from memory in the file's own dtype. The merge reads it like any opened file, and
// `merge-studio align` writes it out in the input's format.
import path from 'node:path';
import { writerFor } from '../formats/registry';
import type { ModelSource, TensorInfo } from '../formats/types';
import type { StateDict } from '../models/types';
import { fromFloat32, isFloatDType } from '../tensor/dtypes';

/** `src` with the float tensors of `state` that differ from `original` replacing its own. */
export function alignedSource(src: ModelSource, state: StateDict, original: StateDict, note: string): ModelSource {
  const tensors: TensorInfo[] = src.tensors.map((t) => {
    const s = state.get(t.name);
    if (!s || s === original.get(t.name) || s.data instanceof BigInt64Array || !isFloatDType(t.dtype)) return t;
    const data = s.data;
    const read = async () => fromFloat32(data, t.dtype);
    return { name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.byteLength, read };
  });
  return { ...src, tensors, notes: [...src.notes, note], close: () => src.close() };
}

/** Writes a source out (format by `out`'s extension; an ONNX output keeps the input's graph when it is ONNX). */
export async function writeSource(src: ModelSource, out: string, metadata: Record<string, string> = {}): Promise<void> {
  const writer = writerFor(out);
  const session = await writer.begin(out, src.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })), {
    metadata: { ...src.metadata, ...metadata },
    tied: src.tied,
    ...(writer.id === 'onnx' && src.format === 'onnx' ? { graphFrom: src.path } : {}),
  });
  try {
    const aliases = new Set(src.tied.flatMap((g) => g.slice(1)));
    for (const t of src.tensors) if (!aliases.has(t.name)) await session.writeTensor(t.name, await t.read());
    await session.finish();
  } catch (e) {
    await session.abort().catch(() => {});
    throw e;
  }
}

/** The aligned copy's file name: the input's, with `.aligned` before the extension. */
export function alignedName(file: string): string {
  const base = path.basename(file);
  const ext = base.endsWith('.safetensors.index.json') ? '.safetensors' : path.extname(base);
  const stem = base.endsWith('.safetensors.index.json') ? base.slice(0, -'.safetensors.index.json'.length) : base.slice(0, base.length - ext.length);
  return `${stem}.aligned${ext}`;
}
