// What a model's output holds. Most classifiers end in logits; exported ones sometimes end in Softmax
// (probabilities) or LogSoftmax. Scoring needs log-probabilities, so we look at the op that produces the
// output in the ONNX graph ("auto"), for models small enough to decode quickly.
import { readFile, stat } from 'node:fs/promises';
import { decodeModel } from '../onnx/proto';
import type { ModelInput } from './session';

export type OutputKind = 'logits' | 'probabilities' | 'log-probabilities';

/** Bigger models are assumed to output logits rather than decoded just to look at their last op. */
const DETECT_LIMIT_BYTES = 256 * 1024 * 1024;

export async function detectOutputKind(model: ModelInput, outputName: string): Promise<OutputKind> {
  let bytes: Uint8Array;
  if (typeof model === 'string') {
    if ((await stat(model)).size > DETECT_LIMIT_BYTES) return 'logits';
    bytes = await readFile(model);
  } else bytes = model;
  let producer: string | undefined;
  try {
    producer = decodeModel(bytes).graph.node.find((n) => n.output.includes(outputName))?.opType;
  } catch {
    return 'logits'; // onnxruntime loaded it; our decoder is only a hint here
  }
  if (producer === 'Softmax') return 'probabilities';
  if (producer === 'LogSoftmax') return 'log-probabilities';
  return 'logits';
}

/** Turns probabilities into log-probabilities in place (clamped so a zero costs a finite 69 nats); others pass. */
export function toLogitsInPlace(values: Float32Array, kind: OutputKind): Float32Array {
  if (kind === 'probabilities') for (let i = 0; i < values.length; i++) values[i] = Math.log(Math.max(values[i], 1e-30));
  return values;
}
