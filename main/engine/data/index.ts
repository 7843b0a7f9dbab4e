// Public surface of the data layer.
export type { Dataset } from './types';
export type { DatasetKind, DatasetKindInfo, PathCheck } from './kind';
export type { DatasetTask } from './tasks/task';
export type { Batch, BatchOptions } from './batches';
export { loadDataset, listDatasets } from './registry';
export { datasetPaths } from './paths';
export { listTasks, applyTask } from './tasks/registry';
export { parseSpec, formatSpec, type DatasetSpec } from './spec';
export { batches, batchCount, epochOrder, gather } from './batches';
export { Rng, mixSeed, permutation, shuffleInPlace } from './rng';
export { DatasetError } from './errors';
export { exampleLength } from './make';
export { mnistSplitIndices, MNIST_SPLITS, type MnistSplit } from './kinds/mnist';
