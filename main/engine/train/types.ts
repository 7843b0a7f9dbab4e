// What a training run is asked (TrainOptions) and what it answers (TrainResult, EpochRecord), and the
// error it stops with when the loss diverges: the vocabulary shared by the trainer's modules.
import type { OptimizerConfig } from '../autodiff/optimizers';
import type { Dataset } from '../data/types';
import type { ProviderId } from '../runtime/providers';
import type { LrSchedule } from './schedule';

export interface TrainOptions {
  /** Built-in architecture id (mlp, smallcnn, vgg, resnet); or give `modelFile`. */
  arch?: string;
  /** A user's .onnx model to fine-tune (every op on the gradient path needs a backward rule). */
  modelFile?: string;
  hidden?: number[];
  width?: number;
  /** Dataset spec ("mnist:train") or a loaded Dataset. */
  dataset: string | Dataset;
  /** Evaluated after each epoch when given ("mnist:test"). */
  evalDataset?: string | Dataset;
  epochs: number;
  batchSize: number;
  /** Drop each epoch's last batch when it is smaller than batchSize (default false, as PyTorch's DataLoader). */
  dropLast?: boolean;
  /** Shuffle the examples each epoch with the seed (default true); false keeps the dataset's order. */
  shuffle?: boolean;
  /** A file of sample orders (one per epoch, or one for all; see order-file.ts) instead of shuffling. */
  orderFile?: string;
  optimizer: OptimizerConfig['type'];
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  schedule?: LrSchedule;
  seed: number;
  /** Keep a checkpoint after every epoch from this 1-based epoch on (none when absent). */
  keepFrom?: number;
  /** Also keep a checkpoint every K optimiser steps (checkpoints/step-NNNNNN.safetensors). */
  checkpointEverySteps?: number;
  /** Start from the initial weights of a run directory (its init.safetensors) or a .safetensors file. */
  initFrom?: string;
  threads?: number;
  provider?: ProviderId;
  outDir: string;
  /** Steps per run() call; chosen from a timed first call (≈0.4 s per call) when absent. */
  stepsPerCall?: number;
  /** run.json's label (default "train · ARCH on DATASET"). */
  label?: string;
  /** Files it reads (the model to fine-tune, the starting weights) with their SHA-256, for run.json. */
  inputs?: { path: string; sha256?: string; role?: string }[];
}

/** λ‖w − w_partner‖² for every parameter, with optional per-tensor λ. */
export interface Coupling { lambda: number; perTensor?: Record<string, number> }

export interface EpochRecord { epoch: number; seconds: number; loss: number; accuracy: number; lr: number; evalAccuracy?: number; evalLoss?: number }

export interface TrainResult {
  status: 'completed' | 'cancelled' | 'failed';
  epochs: EpochRecord[];
  checkpoints: string[];
  model: string;
  outDir: string;
  provider: ProviderId;
  stepsPerCall: number;
  error?: string;
}

/** Training stopped because the loss stopped being a finite number. */
export class TrainingDivergedError extends Error {
  constructor(message: string) { super(message); this.name = 'TrainingDivergedError'; }
}
