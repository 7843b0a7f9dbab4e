// What a run tells as it goes: run.json's content and the one-line summary of an epoch.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Dataset } from '../data/types';
import type { ProviderId } from '../runtime/providers';
import { ownerStamp } from '../workspace/run-owner';
import type { TrainableModel } from './model-spec';
import { optimizerConfig } from './options';
import { scheduleOf } from './schedule';
import type { EpochRecord, TrainOptions } from './types';

export interface RunJsonFields {
  status: string;
  startedAt: string;
  options: TrainOptions;
  model: TrainableModel;
  data: Dataset;
  evalData?: Dataset;
  provider: ProviderId;
  providerFallback?: string;
  stepsPerCall: number;
  epochs: EpochRecord[];
  checkpoints: string[];
  /** model.onnx once it is written (absent while running or when the disk refused it). */
  modelPath?: string;
  error?: string;
}

/** run.json's object, stamped now. */
export function runJsonOf(f: RunJsonFields): Record<string, unknown> {
  const o = f.options;
  return {
    // the run's id is its folder's name; its label what the history shows (editable there)
    id: path.basename(o.outDir), label: o.label ?? `train · ${f.model.arch} on ${f.data.id}`,
    kind: 'train', status: f.status, startedAt: f.startedAt, updatedAt: new Date().toISOString(),
    // while running: whose run it is, so that a run whose process died is marked interrupted (jobs/leftovers.ts)
    ...(f.status === 'running' ? ownerStamp() : {}),
    arch: f.model.arch, config: f.model.config, modelFile: o.modelFile,
    dataset: f.data.id, evalDataset: f.evalData?.id, examples: f.data.size, inputShape: f.data.inputShape, numClasses: f.data.numClasses,
    epochsPlanned: o.epochs, batchSize: o.batchSize, dropLast: o.dropLast ?? false, seed: o.seed,
    order: o.orderFile ? { file: o.orderFile } : o.shuffle === false ? 'dataset' : 'shuffled',
    optimizer: optimizerConfig(o), lr: o.lr, schedule: scheduleOf(o), keepFrom: o.keepFrom, checkpointEverySteps: o.checkpointEverySteps, initFrom: o.initFrom,
    threads: o.threads, provider: f.provider, providerFallback: f.providerFallback, stepsPerCall: f.stepsPerCall,
    ...(o.inputs?.length ? { inputs: o.inputs } : {}),
    epochs: f.epochs, checkpoints: f.checkpoints, model: f.modelPath,
    error: f.error,
    environment: { node: process.version, onnxruntime: ort.env.versions.common, platform: `${process.platform}-${process.arch}` },
  };
}

/** "epoch 2/5: loss 0.1234, accuracy 96.50 %, eval 95.10 % (3.2 s)" */
export function epochLine(rec: EpochRecord, epochs: number): string {
  const ev = rec.evalAccuracy !== undefined ? `, eval ${(rec.evalAccuracy * 100).toFixed(2)} %` : '';
  return `epoch ${rec.epoch}/${epochs}: loss ${rec.loss.toFixed(4)}, accuracy ${(rec.accuracy * 100).toFixed(2)} %${ev} (${rec.seconds.toFixed(1)} s)`;
}
