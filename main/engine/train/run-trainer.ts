// One training run, driven chunk by chunk (so a pair can interleave two of them): epochs of batches in the
// order sample-order.ts gives, through a K-steps-per-call ONNX training graph (and a one-step graph of
// its own size for an epoch's last smaller batch), checkpoints by epoch and by step, model.onnx and run.json.
import { existsSync } from 'node:fs';
import { buildLoopStep, type TrainGraph } from '../autodiff/train-step';
import { gather, mixSeed } from '../data';
import type { Dataset } from '../data/types';
import { evaluateModel } from '../evaluate';
import type { JobContext } from '../job-context';
import type { StateDict } from '../models/types';
import { encodeModel, type ModelProto } from '../onnx/proto';
import type { ProviderId } from '../runtime/providers';
import { describeSweep, sweepLeftovers } from '../workspace/leftovers';
import { claimRun, releaseRun } from '../workspace/run-owner';
import { writeCheckpoint } from './checkpoint';
import { EpochTally } from './epoch-tally';
import { trainedModel } from './inference-model';
import { trainGraphSpec, type TrainableModel } from './model-spec';
import { optimizerConfig, resolveDataset, validateOptions } from './options';
import { MetricsLog, runPaths, writeAtomic } from './run-files';
import { prepareRunFolder, undoRunStart } from './run-folder';
import { epochLine, runJsonOf } from './run-log';
import { runLrAt } from './schedule';
import { epochSteps, sampleOrder, stepBatch, stepsPerEpoch, type EpochSteps, type SampleOrder } from './sample-order';
import { cloneState, countBatches, syncFromRunner, trainingStateOf } from './state-dict';
import { startingWeights } from './starting-weights';
import { StepRunner, type ChunkResult } from './step-runner';
import { nextStepsPerCall } from './steps-per-call';
import { TrainingDivergedError, type Coupling, type EpochRecord, type TrainOptions, type TrainResult } from './types';

export class RunTrainer {
  readonly paths: ReturnType<typeof runPaths>;
  readonly epochs: EpochRecord[] = [];
  readonly checkpoints: string[] = [];
  stepsPerCall = 1;
  status: TrainResult['status'] = 'completed';
  error?: string;
  private runner!: StepRunner;
  /** Runs an epoch's last smaller batch (absent when every batch is full or dropLast). */
  private tailRunner?: StepRunner;
  private metrics: MetricsLog;
  private lastGood: StateDict;
  private startedAt = new Date().toISOString();
  private tally = new EpochTally();
  private order: Int32Array = new Int32Array(0);
  private readonly steps: EpochSteps;
  private readonly stepsPerEpoch: number;
  private modelWritten = true;

  private constructor(
    readonly options: TrainOptions,
    readonly model: TrainableModel,
    readonly data: Dataset,
    readonly evalData: Dataset | undefined,
    private readonly state: StateDict,
    private readonly ctx: JobContext,
    private readonly orderOf: SampleOrder,
  ) {
    this.paths = runPaths(options.outDir);
    this.metrics = new MetricsLog(this.paths.metrics);
    this.lastGood = cloneState(state);
    this.steps = epochSteps(data.size, options.batchSize, options.dropLast ?? false);
    this.stepsPerEpoch = stepsPerEpoch(this.steps);
  }

  /** Load data and model, build the training graph, write init.safetensors and a starting run.json. */
  static async create(options: TrainOptions, ctx: JobContext, extra: { initState?: StateDict; coupling?: Coupling } = {}): Promise<RunTrainer> {
    validateOptions(options);
    const data = await resolveDataset(options.dataset, ctx);
    const evalData = options.evalDataset ? await resolveDataset(options.evalDataset, ctx) : undefined;
    if (data.size < options.batchSize) throw new Error(`dataset ${data.id} has ${data.size} examples, fewer than one batch of ${options.batchSize}; lower --batch-size`);
    const orderOf = await sampleOrder(options, data.size);
    const { model, state } = await startingWeights(options, data, extra.initState);
    // What a killed run left in this folder (temp files, a run.json saying "running") goes first.
    const swept = describeSweep(await sweepLeftovers({ dirs: [options.outDir] }));
    if (swept) ctx.log(swept);
    const existed = existsSync(options.outDir);
    const graphOf = (batch: number) => buildLoopStep(trainGraphSpec(model, batch, optimizerConfig(options), extra.coupling));
    const t = new RunTrainer(options, model, data, evalData, state, ctx, orderOf);
    const graph = await graphOf(options.batchSize);
    const tailGraph = t.steps.tail ? await graphOf(t.steps.tail) : undefined;
    claimRun(options.outDir);
    try {
      await t.start(graph, tailGraph);
    } catch (e) {
      releaseRun(options.outDir);
      await t.runner?.release().catch(() => {});
      await t.tailRunner?.release().catch(() => {});
      await undoRunStart(options.outDir, existed);
      throw e;
    }
    return t;
  }

  /** The run folder made ready, the runners started, init.safetensors and run.json written. */
  private async start(graph: TrainGraph, tailGraph: TrainGraph | undefined): Promise<void> {
    await prepareRunFolder(this.options.outDir);
    const session = { threads: this.options.threads, provider: this.options.provider };
    this.runner = await StepRunner.create(graph, trainingStateOf(graph.io, this.state), { ...session, maskSeed: this.options.seed });
    if (this.runner.fallback) this.ctx.log(this.runner.fallback);
    // the tail step shares the runner's training state (weights, optimiser slots, step count)
    if (tailGraph) this.tailRunner = await StepRunner.create(tailGraph, this.runner.state, { ...session, maskSeed: mixSeed(this.options.seed, 1) });
    await writeCheckpoint(this.paths.init, this.model, this.state, this.options.seed, 0);
    await this.writeRunJson('running');
  }

  get provider(): ProviderId { return this.runner.provider; }
  get params(): Map<string, Float32Array> { return this.runner.state.params; }
  get totalSteps(): number { return this.stepsPerEpoch * this.options.epochs; }
  get stepsDone(): number { return this.runner.state.step; }

  /** Steps of an epoch still to run. */
  remaining(epoch: number): number { return epoch * this.stepsPerEpoch - this.runner.state.step; }

  beginEpoch(epoch: number): void {
    this.order = this.orderOf(epoch);
    this.tally.begin();
  }

  /**
   * Run the next chunk of this epoch: ≤ stepsPerCall full batches (never past a step checkpoint), or the
   * epoch's last smaller batch alone. Throws TrainingDivergedError on a non-finite loss.
   */
  async runChunk(epoch: number, partner?: Map<string, Float32Array>): Promise<void> {
    const s0 = this.tally.steps;
    const tail = s0 >= this.steps.full;
    const runner = tail ? this.tailRunner! : this.runner;
    const k = tail ? 1 : Math.min(this.options.stepsPerCall ?? this.stepsPerCall, this.steps.full - s0, this.stepsToCheckpoint());
    const { start, size } = stepBatch(this.steps, s0);
    const batch = gather(this.data, this.order.subarray(start, start + k * size));
    const lr = runLrAt(this.options, epoch);
    const t0 = performance.now();
    const r = await runner.run(batch.inputs, BigInt64Array.from(batch.labels, (x) => BigInt(x)), new Float32Array(k).fill(lr), size, this.model.inputShape, partner);
    const dt = (performance.now() - t0) / 1000;
    if (!this.options.stepsPerCall && !tail) this.stepsPerCall = nextStepsPerCall(dt, k);
    const records = this.tallySteps(epoch, k, size, lr, r, dt);
    this.tally.steps += k;
    await this.metrics.append(records);
    countBatches(this.state, k);
    if (this.options.checkpointEverySteps && this.stepsDone % this.options.checkpointEverySteps === 0) await this.keepStepCheckpoint(epoch);
  }

  /** Steps until the next step checkpoint is due (unbounded without checkpointEverySteps). */
  private stepsToCheckpoint(): number {
    const every = this.options.checkpointEverySteps;
    return every ? every - (this.stepsDone % every) : Infinity;
  }

  /** The chunk's steps into the epoch's totals and as step records (reported as they go), stopping at a non-finite loss. */
  private tallySteps(epoch: number, k: number, B: number, lr: number, r: ChunkResult, seconds: number): Record<string, unknown>[] {
    const s0 = this.tally.steps;
    const records: Record<string, unknown>[] = [];
    for (let i = 0; i < k; i++) {
      const loss = r.losses[i];
      if (!Number.isFinite(loss)) {
        throw new TrainingDivergedError(`the loss became ${loss} at epoch ${epoch}, step ${s0 + i + 1} (learning rate ${lr}); lower the learning rate or check the data — the last good checkpoint is kept`);
      }
      this.tally.add(loss, r.corrects[i], B);
      const rec = { kind: 'step', epoch, step: this.runner.state.step - k + i + 1, loss, accuracy: r.corrects[i] / B, lr, examplesPerSecond: (k * B) / seconds };
      records.push(rec);
      this.ctx.metric('train', rec);
    }
    return records;
  }

  /** Close an epoch: sync weights, evaluate, keep the checkpoint, log. */
  async endEpoch(epoch: number): Promise<EpochRecord> {
    this.syncState();
    const rec = this.tally.record(epoch, runLrAt(this.options, epoch));
    if (this.evalData) {
      const ev = await evaluateModel(encodeModel(this.inferenceModel(this.state)), this.evalData, { sessionOptions: this.options.threads ? { intraOpNumThreads: this.options.threads } : {} });
      rec.evalAccuracy = ev.accuracy; rec.evalLoss = ev.loss;
    }
    if (this.options.keepFrom !== undefined && epoch >= this.options.keepFrom) await this.keepCheckpoint(epoch);
    this.lastGood = cloneState(this.state);
    this.epochs.push(rec);
    await this.metrics.append([{ kind: 'epoch', ...rec }]);
    this.ctx.metric('train', { kind: 'epoch', ...rec });
    this.ctx.log(epochLine(rec, this.options.epochs));
    await this.writeRunJson('running');
    return rec;
  }

  private async keepCheckpoint(epoch: number): Promise<void> {
    const file = this.paths.checkpoint(epoch);
    await writeCheckpoint(file, this.model, this.state, this.options.seed, epoch);
    this.checkpoints.push(file);
    this.ctx.metric('train', { kind: 'checkpoint', epoch, path: file });
  }

  private async keepStepCheckpoint(epoch: number): Promise<void> {
    const step = this.stepsDone;
    const file = this.paths.stepCheckpoint(step);
    this.syncState();
    await writeCheckpoint(file, this.model, this.state, this.options.seed, epoch, step);
    this.checkpoints.push(file);
    this.ctx.metric('train', { kind: 'checkpoint', epoch, step, path: file });
  }

  private syncState(): void { syncFromRunner(this.state, this.runner.state); }

  /** Current weights as a state dict (copy). */
  currentState(): StateDict { this.syncState(); return cloneState(this.state); }

  inferenceModel(state: StateDict): ModelProto { return trainedModel(this.model, state, this.options.seed); }

  /** Write model.onnx from the last good weights and the final run.json. */
  async finish(status: TrainResult['status'], error?: string): Promise<TrainResult> {
    this.status = status; this.error = error;
    const weights = status === 'completed' ? this.currentState() : this.lastGood;
    // model.onnx first; if the disk refuses it, run.json (small) still records the outcome
    const modelError = await this.writeModel(weights);
    if (modelError && status === 'completed') { this.status = status = 'failed'; this.error = error = modelError; }
    try {
      await this.writeRunJson(status);
    } finally {
      releaseRun(this.options.outDir);
    }
    await this.runner.release();
    await this.tailRunner?.release();
    if (modelError && !error?.includes(modelError)) this.ctx.log(modelError);
    if (modelError && this.error === modelError) throw new Error(modelError);
    return {
      status, epochs: this.epochs, checkpoints: this.checkpoints, model: this.paths.model, outDir: this.options.outDir,
      provider: this.runner.provider, stepsPerCall: this.stepsPerCall, ...(error ? { error } : {}),
    };
  }

  /** model.onnx from `weights`; the error's message when the disk refused it. */
  private async writeModel(weights: StateDict): Promise<string | undefined> {
    try {
      await writeAtomic(this.paths.model, encodeModel(this.inferenceModel(weights)));
      return undefined;
    } catch (e) {
      this.modelWritten = false;
      return (e as Error).message;
    }
  }

  private async writeRunJson(status: string): Promise<void> {
    const json = runJsonOf({
      status, startedAt: this.startedAt, options: this.options, model: this.model, data: this.data, evalData: this.evalData,
      provider: this.runner.provider, providerFallback: this.runner.fallback, stepsPerCall: this.stepsPerCall,
      epochs: this.epochs, checkpoints: this.checkpoints,
      modelPath: status === 'running' || !this.modelWritten ? undefined : this.paths.model, error: this.error,
    });
    await writeAtomic(this.paths.runJson, JSON.stringify(json, null, 2));
  }
}
