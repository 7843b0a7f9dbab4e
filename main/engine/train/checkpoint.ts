// State dicts to safetensors (PyTorch names; float32 weights, int64 num_batches_tracked), and back from any format.
import { describeWriteError } from '../files/disk-errors';
import { safetensorsWriter } from '../formats/safetensors';
import type { StateDict, StateTensorSpec } from '../models/types';
import type { TrainableModel } from './model-spec';
import { inferenceModel } from '../models/state';
import { loadArchWeights, readStateFile, type SizeOptions } from '../models/weights';
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

/**
 * A run's weights at `epoch` (0 for init.safetensors; the epoch under way for a step checkpoint), recording
 * the model, the run's seed and, when given, the optimiser steps done.
 */
export async function writeCheckpoint(path: string, model: TrainableModel, state: StateDict, seed: number, epoch: number, step?: number): Promise<void> {
  await writeStateDict(path, model.tensors, state, { ...checkpointMetadata(model), seed: String(seed), epoch: String(epoch), ...(step !== undefined ? { step: String(step) } : {}) });
}

/** Read a state dict for the given layout from a weights file of any format; every tensor must be there with its shape. */
export async function readStateDict(path: string, tensors: StateTensorSpec[]): Promise<StateDict> {
  return readStateFile(path, tensors, 'the model');
}

export interface CheckpointModelOptions extends SizeOptions {
  /** Architecture id when the file does not record one (weights from elsewhere). */
  arch?: string;
  inputShape?: number[];
  numClasses?: number;
}

/**
 * A runnable inference model from a state-dict checkpoint of a built-in architecture (ours, or a
 * PyTorch state dict with the same names): architecture and options from the file's metadata, or given.
 */
export async function checkpointModel(path: string, o: CheckpointModelOptions = {}): Promise<ModelProto> {
  const { arch, inputShape, numClasses, ...sizes } = o;
  const { graph, state } = await loadArchWeights(path, { arch, inputShape, numClasses, sizes });
  return inferenceModel(graph, state, { source: path });
}
