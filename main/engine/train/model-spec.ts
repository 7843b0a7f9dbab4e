// What the trainer trains: an architecture graph with its state dict, or a user's ONNX model whose
// float initializers become parameters (BatchNorm running stats become running state).
import type { TrainGraphSpec, TensorShape } from '../autodiff/train-step';
import type { OptimizerConfig } from '../autodiff/optimizers';
import { floatTensor, int64Tensor } from '../onnx/builder';
import { ModelFileError } from '../formats/types';
import type { ModelProto, TensorProto } from '../onnx/proto';
import type { ArchitectureGraph, StateDict, StateTensorSpec } from '../models/types';
import { onnxNet } from '../models/onnx-net';
import { missingRules } from '../autodiff/differentiate';

/** A trainable model: graph + the ordered state-dict layout; the state itself travels separately. */
export interface TrainableModel {
  arch: string;
  config: Record<string, unknown>;
  inputName: string;
  outputName: string;
  inputShape: number[];
  numClasses: number;
  nodes: ModelProto['graph']['node'];
  constants: TensorProto[];
  tensors: StateTensorSpec[];
}

export function fromArchitecture(g: ArchitectureGraph): TrainableModel {
  return { arch: g.arch, config: g.config, inputName: g.inputName, outputName: g.outputName, inputShape: g.inputShape, numClasses: g.numClasses, nodes: g.nodes, constants: g.constants, tensors: g.tensors };
}

/** A user's ONNX model: every float initializer is trained except BatchNorm running statistics. */
export function fromOnnxModel(file: string, model: ModelProto, inputShape: number[], numClasses: number): { model: TrainableModel; state: StateDict } {
  const { graph: m, state } = onnxNet(file, model, inputShape, numClasses);
  const missing = missingRules(m.nodes, [m.inputName, ...m.tensors.map((t) => t.name)]);
  if (missing.length) throw new ModelFileError(file, `cannot be trained: no backward rule for ${missing.join(', ')}`, 'only models built from the supported ops can be fine-tuned here');
  return { model: m, state };
}

export function paramShapes(m: TrainableModel): TensorShape[] {
  return m.tensors.filter((t) => t.role === 'param').map((t) => ({ name: t.name, shape: t.shape }));
}
export function stateShapes(m: TrainableModel): TensorShape[] {
  return m.tensors.filter((t) => t.role === 'running_mean' || t.role === 'running_var').map((t) => ({ name: t.name, shape: t.shape }));
}

export function trainGraphSpec(m: TrainableModel, batchSize: number, optimizer: OptimizerConfig, coupling?: TrainGraphSpec['coupling']): TrainGraphSpec {
  return {
    nodes: m.nodes, constants: m.constants, inputName: m.inputName, outputName: m.outputName,
    params: paramShapes(m), states: stateShapes(m), batchSize, inputShape: m.inputShape, numClasses: m.numClasses,
    optimizer, coupling,
  };
}

/** The state dict as ONNX initializers (for the inference model). */
export function stateInitializers(m: TrainableModel, state: StateDict): TensorProto[] {
  const used = new Set(m.nodes.flatMap((n) => n.input));
  return m.tensors.filter((t) => used.has(t.name)).map((t) => {
    const s = state.get(t.name)!;
    return s.data instanceof BigInt64Array ? int64Tensor(t.name, s.data, t.shape) : floatTensor(t.name, s.data, t.shape);
  });
}
