// Opens an onnxruntime session for a model file or bytes, with an error that names the model.
import { existsSync } from 'node:fs';
import type * as ort from 'onnxruntime-node';
import { createOrtSession } from '../runtime/ort-log';

export type ModelInput = string | Uint8Array;

export function modelName(model: ModelInput): string {
  return typeof model === 'string' ? model : `model (${model.byteLength} bytes)`;
}

export async function openSession(model: ModelInput, options: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
  if (typeof model === 'string' && !existsSync(model)) throw new Error(`${model}: no such model file; check the path`);
  try {
    return await createOrtSession(model, options);
  } catch (e) {
    throw new Error(`${modelName(model)}: onnxruntime cannot load it (${(e as Error).message}); give a valid .onnx model`);
  }
}
