// Public surface of the trainer.
export { trainModel, RunTrainer, TrainingDivergedError, type TrainOptions, type TrainResult, type EpochRecord, type Coupling } from './trainer';
export { trainPair, type PairOptions } from './pair';
export { lrAt, type LrSchedule } from './schedule';
export { readStateDict, writeStateDict, checkpointModel, type CheckpointModelOptions } from './checkpoint';
export { runPaths } from './run-files';
export { recomputeBatchNormStats, type BatchNormStatsOptions } from './bn-stats';
export { TrainRequestSchema, TrainPairRequestSchema, LrScheduleSchema, type TrainRequest, type TrainPairRequest } from './options-schema';
