// A user's ONNX model read as a graph plus a state dict (its float initializers), the same shape as a built-in
// architecture, so that training, evaluation, interpolation and alignment treat both alike.
import { ModelFileError } from '../formats/types';
import { ONNX_TO_DTYPE, TensorDataType, type ModelProto, type TensorProto } from '../onnx/proto';
import { toFloat32 } from '../tensor/dtypes';
import type { ArchitectureGraph, StateDict, StateTensorSpec } from './types';

function tensorData(file: string, t: TensorProto): Float32Array {
  const dtype = ONNX_TO_DTYPE[t.dataType];
  // copy into a plain Uint8Array: rawData may be a view into a Node Buffer, whose slice() does not copy
  if (t.rawData && dtype) return toFloat32(new Uint8Array(t.rawData), dtype);
  if (t.floatData) return Float32Array.from(t.floatData);
  if (t.doubleData) return Float32Array.from(t.doubleData);
  throw new ModelFileError(file, `initializer "${t.name}" has no data we can read (external data is not supported for training)`, 'save the model with its weights inside the .onnx file');
}

/** The per-example shape to feed: the model's own when static (a flat MLP takes 784 for 1×28×28), else the data's. */
function modelInputShape(file: string, input: ModelProto['graph']['input'][number], dataShape: number[] | undefined): number[] {
  const dims = input.type?.tensorType?.shape?.slice(1);
  // no data given and no static shape: MNIST's, the bundled data
  if (!dims || dims.some((d) => d.dimValue === undefined)) return dataShape ?? [1, 28, 28];
  const shape = dims.map((d) => Number(d.dimValue));
  if (!dataShape) return shape;
  const n = (s: number[]) => s.reduce((a, b) => a * b, 1);
  if (n(shape) !== n(dataShape)) {
    throw new ModelFileError(file, `takes examples of shape [${shape.join(', ')}], the dataset's are [${dataShape.join(', ')}]`, 'choose a dataset that matches the model input');
  }
  return shape;
}

/**
 * torch.onnx dedupes equal initializers: a fresh BatchNorm's running_var (ones) becomes Identity(weight).
 * Training must update the running stats apart from the weight, so give each such stat its own copy.
 */
function untieBatchNormStats(g: ModelProto['graph']): ModelProto['graph'] {
  const init = new Map(g.initializer.map((t) => [t.name, t]));
  const stats = new Set(g.node.filter((n) => n.opType === 'BatchNormalization').flatMap((n) => [n.input[3], n.input[4]]));
  const copies: TensorProto[] = [];
  const node = g.node.filter((n) => {
    if (n.opType !== 'Identity' || !stats.has(n.output[0]) || !init.has(n.input[0])) return true;
    copies.push({ ...init.get(n.input[0])!, name: n.output[0] });
    return false;
  });
  return { ...g, node, initializer: [...g.initializer, ...copies] };
}

/**
 * A user's ONNX model as a graph plus a state dict: every float initializer is a tensor of the state (BatchNorm
 * running statistics with their role), everything else a constant. `inputShape` is the data's example shape,
 * used when the model's own input is not static.
 */
export function onnxNet(file: string, model: ModelProto, dataShape: number[] | undefined, numClasses: number): { graph: ArchitectureGraph; state: StateDict } {
  // We rebuild the graph at our opset (17); ops whose signature changed at opset 13 would break.
  const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0;
  const changed = [...new Set(model.graph.node.map((n) => n.opType).filter((t) => ['Squeeze', 'Unsqueeze', 'ReduceSum', 'Split'].includes(t)))];
  if (opset < 13 && changed.length) {
    throw new ModelFileError(file, `uses opset ${opset} with ${changed.join(', ')}, whose inputs changed at opset 13`, 're-export the model at opset 13 or newer (torch.onnx.export(..., opset_version=17))');
  }
  const g = untieBatchNormStats(model.graph);
  const init = new Map(g.initializer.map((t) => [t.name, t]));
  const dataInputs = g.input.filter((i) => !init.has(i.name));
  if (dataInputs.length !== 1) throw new ModelFileError(file, `has ${dataInputs.length} data inputs; training needs exactly one`, 'export the model with a single image/feature input');
  if (!g.output.length) throw new ModelFileError(file, 'has no outputs');
  const inputShape = modelInputShape(file, dataInputs[0], dataShape);
  const outDims = g.output[0].type?.tensorType?.shape;
  const outClasses = outDims?.length === 2 ? outDims[1].dimValue : undefined;
  if (outClasses !== undefined && Number(outClasses) !== numClasses) {
    throw new ModelFileError(file, `outputs ${outClasses} classes, the dataset has ${numClasses}`, 'choose a dataset (or task) with as many classes as the model outputs');
  }
  const bnStats = new Map<string, 'running_mean' | 'running_var'>();
  for (const n of g.node) if (n.opType === 'BatchNormalization') { bnStats.set(n.input[3], 'running_mean'); bnStats.set(n.input[4], 'running_var'); }
  const tensors: StateTensorSpec[] = [];
  const constants: TensorProto[] = [];
  const state: StateDict = new Map();
  for (const t of g.initializer) {
    const isFloat = [TensorDataType.FLOAT, TensorDataType.DOUBLE, TensorDataType.FLOAT16, TensorDataType.BFLOAT16].includes(t.dataType);
    if (!isFloat) { constants.push(t); continue; }
    tensors.push({ name: t.name, shape: t.dims.map(Number), dtype: 'f32', role: bnStats.get(t.name) ?? 'param', init: { kind: 'const', value: 0 } });
    state.set(t.name, { shape: t.dims.map(Number), data: tensorData(file, t) });
  }
  const graph: ArchitectureGraph = {
    arch: 'onnx', config: { file }, inputName: dataInputs[0].name, outputName: g.output[0].name, inputShape, numClasses,
    nodes: g.node, constants, tensors,
  };
  return { graph, state };
}
