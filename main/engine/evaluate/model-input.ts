// Works out how a dataset's examples feed a model: which input and output, the feed shape (reshaping
// [N,1,28,28] <-> [N,784] when the sizes agree), a fixed batch size if the model has one, the dtype.
import type * as ort from 'onnxruntime-node';
import type { Dataset } from '../data/types';

export type FeedType = 'float32' | 'float16' | 'float64';

export interface FeedPlan {
  inputName: string;
  outputName: string;
  /** Shape of one example as the model wants it. */
  exampleShape: number[];
  /** The model's fixed batch size, or null when the batch dimension is free. */
  fixedBatch: number | null;
  type: FeedType;
}

const shapeText = (s: readonly (number | string)[]) => `[${s.map(String).join(', ')}]`;

export function planFeed(session: ort.InferenceSession, d: Dataset, modelName: string, inputName?: string, outputName?: string): FeedPlan {
  const input = inputName ?? session.inputNames[0];
  const output = outputName ?? session.outputNames[0];
  if (!session.inputNames.includes(input)) throw new Error(`${modelName}: has no input "${input}"; its inputs are ${session.inputNames.join(', ')}`);
  if (!session.outputNames.includes(output)) throw new Error(`${modelName}: has no output "${output}"; its outputs are ${session.outputNames.join(', ')}`);
  if (!inputName && session.inputNames.length > 1) {
    throw new Error(`${modelName}: has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); name the one that takes the data`);
  }
  const meta = session.inputMetadata[session.inputNames.indexOf(input)];
  let type: FeedType = 'float32';
  let shape: readonly (number | string)[] = [];
  if (meta?.isTensor) {
    if (meta.type !== 'float32' && meta.type !== 'float16' && meta.type !== 'float64') {
      throw new Error(`${modelName}: input "${input}" takes ${meta.type}; evaluation feeds images or features as float32, float16 or float64`);
    }
    type = meta.type;
    shape = meta.shape;
  }
  const per = d.inputShape.reduce((a, b) => a * b, 1);
  if (shape.length === 0) return { inputName: input, outputName: output, exampleShape: [...d.inputShape], fixedBatch: null, type };
  const batchDim = shape[0];
  const fixedBatch = typeof batchDim === 'number' && batchDim > 0 ? batchDim : null;
  const rest = shape.slice(1);
  const mismatch = () => new Error(
    `${modelName}: input "${input}" has shape ${shapeText(shape)} but dataset ${d.id} has examples of shape ${shapeText(d.inputShape)} (${per} values)` +
    '; pick a dataset whose examples fit the model (image size and channels)');
  const known = rest.every((s) => typeof s === 'number' && s > 0);
  if (known) {
    const exampleShape = rest as number[];
    if (exampleShape.reduce((a, b) => a * b, 1) !== per) throw mismatch();
    return { inputName: input, outputName: output, exampleShape, fixedBatch, type };
  }
  // Symbolic dims beyond the batch: take the dataset's shape where the ranks agree and the fixed dims match.
  if (rest.length !== d.inputShape.length || rest.some((s, i) => typeof s === 'number' && s > 0 && s !== d.inputShape[i])) throw mismatch();
  return { inputName: input, outputName: output, exampleShape: [...d.inputShape], fixedBatch, type };
}
