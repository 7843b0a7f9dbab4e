// The trained model as a runnable ONNX inference model (what model.onnx holds and what each epoch is evaluated on).
import type { StateDict } from '../models/types';
import { buildModel, valueInfo } from '../onnx/builder';
import { TensorDataType, type ModelProto } from '../onnx/proto';
import { stateInitializers, type TrainableModel } from './model-spec';

export function trainedModel(m: TrainableModel, state: StateDict, seed: number): ModelProto {
  return buildModel({
    name: m.arch, node: m.nodes, initializer: [...stateInitializers(m, state), ...m.constants],
    input: [valueInfo(m.inputName, TensorDataType.FLOAT, ['N', ...m.inputShape])],
    output: [valueInfo(m.outputName, TensorDataType.FLOAT, ['N', m.numClasses])], valueInfo: [],
  }, { arch: m.arch, config: JSON.stringify(m.config), 'merge_studio.seed': String(seed) });
}
