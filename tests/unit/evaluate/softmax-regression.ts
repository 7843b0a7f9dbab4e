// Test helper: a softmax-regression classifier (logits = x·Wᵀ + b) fitted in plain JS by minibatch SGD,
// exported as a real ONNX graph with our proto encoder, plus a float64 JS reference of its outputs.
import { batches } from '../../../main/engine/data/batches';
import type { Dataset } from '../../../main/engine/data/types';
import { AttributeType, encodeModel, TensorDataType, type ModelProto, type NodeProto, type ValueInfoProto } from '../../../main/engine/onnx/proto';

export interface Linear { w: Float32Array; b: Float32Array; inputs: number; classes: number }

export function fitSoftmaxRegression(d: Dataset, epochs: number, lr: number, seed: number): Linear {
  const f = d.inputs.length / d.size, k = d.numClasses;
  const w = new Float32Array(k * f), b = new Float32Array(k);
  const z = new Float64Array(k);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const batch of batches(d, 64, seed, epoch)) {
      const gw = new Float64Array(k * f), gb = new Float64Array(k);
      for (let i = 0; i < batch.size; i++) {
        const x = batch.inputs.subarray(i * f, (i + 1) * f);
        let max = -Infinity;
        for (let c = 0; c < k; c++) {
          let s = b[c];
          for (let j = 0; j < f; j++) s += w[c * f + j] * x[j];
          z[c] = s; if (s > max) max = s;
        }
        let sum = 0;
        for (let c = 0; c < k; c++) { z[c] = Math.exp(z[c] - max); sum += z[c]; }
        for (let c = 0; c < k; c++) {
          const g = z[c] / sum - (c === batch.labels[i] ? 1 : 0);
          gb[c] += g;
          if (g !== 0) for (let j = 0; j < f; j++) gw[c * f + j] += g * x[j];
        }
      }
      const s = lr / batch.size;
      for (let i = 0; i < w.length; i++) w[i] -= s * gw[i];
      for (let c = 0; c < k; c++) b[c] -= s * gb[c];
    }
  }
  return { w, b, inputs: f, classes: k };
}

/** float64 logits of the model on every example. */
export function referenceLogits(m: Linear, d: Dataset): Float64Array {
  const out = new Float64Array(d.size * m.classes);
  for (let i = 0; i < d.size; i++) {
    for (let c = 0; c < m.classes; c++) {
      let s = m.b[c];
      for (let j = 0; j < m.inputs; j++) s += m.w[c * m.inputs + j] * d.inputs[i * m.inputs + j];
      out[i * m.classes + c] = s;
    }
  }
  return out;
}

/** Accuracy and mean cross-entropy from float64 logits (or log-probabilities). */
export function referenceScores(logits: Float64Array, k: number, labels: Int32Array): { accuracy: number; loss: number; preds: Int32Array } {
  const n = labels.length;
  const preds = new Int32Array(n);
  let correct = 0, nll = 0;
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * k, (i + 1) * k);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    nll += lse - row[labels[i]];
    preds[i] = row.indexOf(max);
    if (preds[i] === labels[i]) correct++;
  }
  return { accuracy: correct / n, loss: nll / n, preds };
}

const f32 = (values: Float32Array) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
const valueInfo = (name: string, dims: (number | string)[], elemType = TensorDataType.FLOAT): ValueInfoProto => ({
  name, type: { tensorType: { elemType, shape: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } },
});

/**
 * ONNX bytes of the model. `input` is the declared input shape: ["N", 784] (Gemm directly),
 * ["N", 1, 28, 28] (Flatten first), or a fixed batch such as [7, 784].
 */
export function softmaxRegressionOnnx(m: Linear, input: (number | string)[], opts: { matmul?: boolean; head?: 'Softmax' | 'LogSoftmax' } = {}): Uint8Array {
  const nodes: NodeProto[] = [];
  let x = 'x';
  if (input.length > 2) {
    nodes.push({ opType: 'Flatten', input: ['x'], output: ['flat'], attribute: [{ name: 'axis', type: AttributeType.INT, i: 1 }] });
    x = 'flat';
  }
  const initializer = [
    { name: 'weight', dataType: TensorDataType.FLOAT, dims: [m.classes, m.inputs], rawData: f32(m.w) },
    { name: 'bias', dataType: TensorDataType.FLOAT, dims: [m.classes], rawData: f32(m.b) },
  ];
  if (opts.matmul) {
    // MatMul + Add form: needs Wᵀ (in × out).
    const wt = new Float32Array(m.w.length);
    for (let c = 0; c < m.classes; c++) for (let j = 0; j < m.inputs; j++) wt[j * m.classes + c] = m.w[c * m.inputs + j];
    initializer[0] = { name: 'weight', dataType: TensorDataType.FLOAT, dims: [m.inputs, m.classes], rawData: f32(wt) };
    nodes.push({ opType: 'MatMul', input: [x, 'weight'], output: ['xw'], attribute: [] });
    nodes.push({ opType: 'Add', input: ['xw', 'bias'], output: ['logits'], attribute: [] });
  } else {
    nodes.push({ opType: 'Gemm', input: [x, 'weight', 'bias'], output: ['logits'], attribute: [{ name: 'transB', type: AttributeType.INT, i: 1 }] });
  }
  let out = 'logits';
  if (opts.head) {
    nodes.push({ opType: opts.head, input: ['logits'], output: ['probs'], attribute: [{ name: 'axis', type: AttributeType.INT, i: 1 }] });
    out = 'probs';
  }
  const model: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'merge-studio-test',
    metadataProps: [],
    graph: {
      name: 'softmax_regression', node: nodes, initializer,
      input: [valueInfo('x', input)],
      output: [valueInfo(out, [typeof input[0] === 'number' ? input[0] : 'N', m.classes])],
      valueInfo: [],
    },
  };
  return encodeModel(model);
}
