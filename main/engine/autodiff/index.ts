// Public surface of ONNX autodiff: per-op backward rules, differentiation, train-step graphs, optimisers.
export { ruleFor, supportedOps, unsupportedOps } from './registry';
export { emitBackward, emitTrainingForward, missingRules, dependents, type TrainingForward, type PerStepInput } from './differentiate';
export { probeShapes } from './shapes';
export { emitCrossEntropy } from './loss';
export { buildLoopStep, buildSingleStep, type TrainGraph, type TrainGraphIO, type TrainGraphSpec, type TensorShape } from './train-step';
export { createOptimizer, type Optimizer, type OptimizerConfig } from './optimizers';
export { AutodiffError, type BackwardRule, type BackwardContext, type ForwardContext, type ShapeMap } from './types';
