// Static shapes of every value of a graph, by running it once on zeros at the given input shapes.
// Simpler and more faithful than re-implementing shape inference per op: onnxruntime computes them.
import * as ort from 'onnxruntime-node';
import { buildModel } from '../onnx/builder';
import { encodeModel, TensorDataType, type GraphProto } from '../onnx/proto';
import { createOrtSession } from '../runtime/ort-log';
import type { ShapeMap } from './types';

export async function probeShapes(graph: GraphProto, inputShapes: Record<string, number[]>): Promise<ShapeMap> {
  const init = new Set(graph.initializer.map((t) => t.name));
  const shapes: ShapeMap = new Map();
  for (const t of graph.initializer) shapes.set(t.name, t.dims.map(Number));
  const outputs = [...new Set(graph.node.flatMap((n) => n.output).filter((o) => o))];
  const probe = buildModel({ ...graph, output: outputs.map((name) => ({ name })), valueInfo: [] });
  const session = await createOrtSession(encodeModel(probe), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const inp of graph.input) {
      if (init.has(inp.name)) continue;
      const shape = inputShapes[inp.name];
      if (!shape) throw new Error(`probeShapes: no shape given for input "${inp.name}"`);
      const n = shape.reduce((a, b) => a * b, 1);
      const et = inp.type?.tensorType?.elemType ?? TensorDataType.FLOAT;
      feeds[inp.name] = et === TensorDataType.INT64 ? new ort.Tensor('int64', new BigInt64Array(n), shape) : new ort.Tensor('float32', new Float32Array(n), shape);
      shapes.set(inp.name, shape);
    }
    const res = await session.run(feeds);
    for (const [k, v] of Object.entries(res)) shapes.set(k, v.dims.map(Number));
  } finally {
    await session.release();
  }
  return shapes;
}
