// State dicts to and from safetensors (PyTorch names; float32 weights, int64 num_batches_tracked).
import { describeWriteError } from '../files/disk-errors';
import { safetensorsReader, safetensorsWriter } from '../formats/safetensors';
import { ModelFileError } from '../formats/types';
import { toFloat32 } from '../tensor/dtypes';
import type { StateDict, StateTensorSpec } from '../models/types';
import type { TrainableModel } from './model-spec';
import { getArchitecture } from '../models/registry';
import { inferenceModel } from '../models/state';
import type { ModelProto } from '../onnx/proto';

/** What a checkpoint records about its model, so it can be rebuilt without the run (see checkpointModel). */
export function checkpointMetadata(m: TrainableModel): Record<string, string> {
  return {
    arch: m.arch, config: JSON.stringify(m.config),
    input_shape: JSON.stringify(m.inputShape), num_classes: String(m.numClasses), format: 'pytorch-state-dict',
  };
}

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array { return new Uint8Array(a.buffer, a.byteOffset, a.byteLength); }

export async function writeStateDict(path: string, tensors: StateTensorSpec[], state: StateDict, metadata: Record<string, string> = {}): Promise<void> {
  const specs = tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
  let w: Awaited<ReturnType<typeof safetensorsWriter.begin>> | undefined;
  try {
    w = await safetensorsWriter.begin(path, specs, { metadata });
    for (const t of tensors) {
      const s = state.get(t.name);
      if (!s) throw new Error(`state dict has no tensor "${t.name}"`);
      await w.writeTensor(t.name, bytesOf(s.data));
    }
    await w.finish();
  } catch (e) {
    await w?.abort().catch(() => {});
    if ((e as NodeJS.ErrnoException).code) throw describeWriteError(path, e, tensors.reduce((n, t) => n + (state.get(t.name)?.data.byteLength ?? 0), 0));
    throw e;
  }
}

/** Read a state dict for the given layout; every tensor must be there with the right shape. */
export async function readStateDict(path: string, tensors: StateTensorSpec[]): Promise<StateDict> {
  const src = await safetensorsReader.open(path);
  try {
    const byName = new Map(src.tensors.map((t) => [t.name, t]));
    const out: StateDict = new Map();
    for (const t of tensors) {
      const info = byName.get(t.name);
      if (!info) throw new ModelFileError(path, `has no tensor "${t.name}"`, 'initialise from a run of the same architecture and options');
      if (info.shape.join('x') !== t.shape.join('x')) {
        throw new ModelFileError(path, `tensor "${t.name}" has shape [${info.shape.join(', ')}], the model needs [${t.shape.join(', ')}]`, 'initialise from a run of the same architecture and options');
      }
      const read = await info.read();
      // plain aligned copy when needed: a view into a Node Buffer pool may be unaligned, and Buffer.slice() does not copy
      const bytes = read.byteOffset % 8 === 0 && !Buffer.isBuffer(read) ? read : new Uint8Array(read);
      if (t.dtype === 'i64') {
        const v = new BigInt64Array(Math.max(1, t.shape.reduce((a, b) => a * b, 1)));
        if (info.dtype === 'i64') v.set(new BigInt64Array(bytes.buffer, bytes.byteOffset, v.length));
        out.set(t.name, { shape: t.shape, data: v });
      } else out.set(t.name, { shape: t.shape, data: toFloat32(bytes, info.dtype) });
    }
    return out;
  } finally {
    await src.close();
  }
}

export interface CheckpointModelOptions {
  /** Architecture id when the file does not record one (weights from elsewhere). */
  arch?: string;
  inputShape?: number[];
  numClasses?: number;
  hidden?: number[];
  width?: number;
}

/**
 * A runnable inference model from a state-dict checkpoint of a built-in architecture (ours, or a
 * PyTorch state dict with the same names): architecture and options from the file's metadata, or given.
 */
export async function checkpointModel(path: string, o: CheckpointModelOptions = {}): Promise<ModelProto> {
  const src = await safetensorsReader.open(path);
  const meta = src.metadata;
  await src.close();
  const arch = o.arch ?? meta.arch;
  if (!arch || arch === 'onnx') {
    throw new ModelFileError(path, 'does not say which architecture its weights belong to', 'give the architecture (--arch) or a graph (--graph G.onnx)');
  }
  const config = meta.config ? (JSON.parse(meta.config) as { hidden?: number[]; width?: number }) : {};
  const inputShape = o.inputShape ?? (meta.input_shape ? (JSON.parse(meta.input_shape) as number[]) : [1, 28, 28]);
  const numClasses = o.numClasses ?? (meta.num_classes ? Number(meta.num_classes) : 10);
  const g = getArchitecture(arch).build({ inputShape, numClasses, hidden: o.hidden ?? config.hidden, width: o.width ?? config.width });
  const state = await readStateDict(path, g.tensors);
  return inferenceModel(g, state, { source: path });
}
