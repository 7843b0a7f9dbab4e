// Public surface of the built-in architectures.
export { architectureInfo, getArchitecture, listArchitectures } from './registry';
export { initialState, inferenceModel } from './state';
export { Rng } from './rng';
export type { Architecture, ArchitectureGraph, ArchitectureOptions, StateDict, StateTensorSpec, TensorRole, NamedShape } from './types';
export { archWeightsFrom, loadArchWeights, readStateFile, readStateFrom, recordedShape, resolveSizes, type ArchWeights, type ArchWeightsOptions, type SizeOptions } from './weights';
export { writeWeightsIntoGraph } from './graph-weights';
export { lerpStates } from './state';
export { loadNet, netModel, sameLayout, type Net, type NetOptions } from './load-net';
export { onnxNet } from './onnx-net';
