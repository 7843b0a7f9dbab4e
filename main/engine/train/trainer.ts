// The trainer: epochs of seeded-shuffled batches through a K-steps-per-call ONNX training graph,
// per-epoch lr schedule, checkpoints kept from epoch k, model.onnx, metrics.jsonl and run.json.
// One run is a RunTrainer; a coupled pair steps two of them in lockstep (see pair.ts).
import { existsSync, promises as fs } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { buildLoopStep, type TrainGraph } from '../autodiff/train-step';
import type { OptimizerConfig } from '../autodiff/optimizers';
import { epochOrder, gather, loadDataset } from '../data';
import type { Dataset } from '../data/types';
import { evaluateModel } from '../evaluate';
import { CancelledError, type JobContext } from '../job-context';
import { openModel } from '../formats/registry';
import { describeSweep, sweepLeftovers } from '../workspace/leftovers';
import { claimRun, ownerStamp, releaseRun } from '../workspace/run-owner';
import { getArchitecture } from '../models/registry';
import { resolveSizes, type SizeOptions } from '../models/weights';
import { initialState } from '../models/state';
import type { StateDict } from '../models/types';
import { buildModel, valueInfo } from '../onnx/builder';
import { decodeModel, encodeModel, TensorDataType, type ModelProto } from '../onnx/proto';
import type { ProviderId } from '../runtime/providers';
import { checkpointMetadata, readStateDict, writeStateDict } from './checkpoint';
import { fromArchitecture, fromOnnxModel, stateInitializers, trainGraphSpec, type TrainableModel } from './model-spec';
import { makeRunFolder, MetricsLog, runPaths, writeAtomic } from './run-files';
import { lrAt, type LrSchedule } from './schedule';
import { StepRunner, type TrainingState } from './step-runner';

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
  /** Start from the initial weights of a run directory (its init.safetensors) or a .safetensors file. */
  initFrom?: string;
  threads?: number;
  provider?: ProviderId;
  outDir: string;
  /** Steps per run() call; chosen from a timed first call (≈0.4 s per call) when absent. */
  stepsPerCall?: number;
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

const TARGET_CALL_SECONDS = 0.4;
const MAX_STEPS_PER_CALL = 64;

async function resolveDataset(d: string | Dataset, ctx: JobContext): Promise<Dataset> {
  return typeof d === 'string' ? loadDataset(d, ctx) : d;
}

function optimizerConfig(o: TrainOptions): OptimizerConfig {
  return { type: o.optimizer, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay, beta1: o.beta1, beta2: o.beta2 };
}

function cloneState(s: StateDict): StateDict {
  return new Map([...s].map(([k, v]) => [k, { shape: v.shape, data: v.data.slice() as Float32Array | BigInt64Array }]));
}

/** One training run, driven chunk by chunk (so a pair can interleave two of them). */
export class RunTrainer {
  readonly paths: ReturnType<typeof runPaths>;
  readonly epochs: EpochRecord[] = [];
  readonly checkpoints: string[] = [];
  stepsPerCall = 1;
  status: TrainResult['status'] = 'completed';
  error?: string;
  private runner!: StepRunner;
  private metrics: MetricsLog;
  private lastGood: StateDict;
  private startedAt = new Date().toISOString();
  private epochLoss = 0;
  private epochCorrect = 0;
  private epochSteps = 0;
  private epochStart = 0;
  private order: Int32Array = new Int32Array(0);
  private stepsPerEpoch: number;
  private modelWritten = true;

  private constructor(
    readonly options: TrainOptions,
    readonly model: TrainableModel,
    readonly data: Dataset,
    readonly evalData: Dataset | undefined,
    private readonly state: StateDict,
    private readonly ctx: JobContext,
  ) {
    this.paths = runPaths(options.outDir);
    this.metrics = new MetricsLog(this.paths.metrics);
    this.lastGood = cloneState(state);
    this.stepsPerEpoch = Math.floor(data.size / options.batchSize);
  }

  /** Load data and model, build the training graph, write init.safetensors and a starting run.json. */
  static async create(options: TrainOptions, ctx: JobContext, extra: { initState?: StateDict; coupling?: Coupling } = {}): Promise<RunTrainer> {
    const { initState, coupling } = extra;
    validate(options);
    const data = await resolveDataset(options.dataset, ctx);
    const evalData = options.evalDataset ? await resolveDataset(options.evalDataset, ctx) : undefined;
    if (data.size < options.batchSize) throw new Error(`dataset ${data.id} has ${data.size} examples, fewer than one batch of ${options.batchSize}; lower --batch-size`);
    let model: TrainableModel;
    let state: StateDict;
    const initFile = options.initFrom ? await initFileOf(options.initFrom) : undefined;
    if (options.modelFile) {
      const bytes = await fs.readFile(options.modelFile).catch(() => { throw new Error(`${options.modelFile}: cannot read the model file; check the path`); });
      ({ model, state } = fromOnnxModel(options.modelFile, decodeModel(bytes), data.inputShape, data.numClasses));
    } else {
      const arch = options.arch ?? 'smallcnn';
      const given = { ...(options.hidden ? { hidden: options.hidden } : {}), ...(options.width ? { width: options.width } : {}) };
      // Weights to start from say what sizes they were built with (recorded, or read off their shapes).
      const sizes = initFile && !initState ? await sizesOfFile(initFile, arch, given) : given;
      const g = getArchitecture(arch).build({ inputShape: data.inputShape, numClasses: data.numClasses, ...sizes });
      model = fromArchitecture(g);
      state = initialState(g, options.seed);
    }
    if (initState) state = cloneState(initState);
    else if (initFile) state = await readStateDict(initFile, model.tensors);
    // What a killed run left in this folder (temp files, a run.json saying "running") goes first.
    const swept = describeSweep(await sweepLeftovers({ dirs: [options.outDir] }));
    if (swept) ctx.log(swept);
    const existed = existsSync(options.outDir);
    const graph = await buildLoopStep(trainGraphSpec(model, options.batchSize, optimizerConfig(options), coupling));
    const t = new RunTrainer(options, model, data, evalData, state, ctx);
    claimRun(options.outDir);
    try {
      await makeRunFolder(options.outDir);
      await fs.rm(runPaths(options.outDir).metrics, { force: true });
      await t.startRunner(graph);
      await writeStateDict(t.paths.init, model.tensors, state, { ...checkpointMetadata(model), seed: String(options.seed), epoch: '0' });
      await t.writeRunJson('running');
    } catch (e) {
      // A run that could not start (a full disk) leaves no half run folder behind.
      releaseRun(options.outDir);
      await t.runner?.release().catch(() => {});
      if (!existed) await fs.rm(options.outDir, { recursive: true, force: true }).catch(() => {});
      else {
        for (const f of [t.paths.init, t.paths.runJson]) await fs.rm(f, { force: true }).catch(() => {});
        await fs.rmdir(t.paths.checkpoints).catch(() => {}); // only when empty
      }
      throw e;
    }
    return t;
  }

  private async startRunner(graph: TrainGraph): Promise<void> {
    const io = graph.io;
    const ts: TrainingState = { params: new Map(), slots: new Map(), states: new Map(), step: 0 };
    for (const p of io.params) ts.params.set(p.name, this.state.get(p.name)!.data as Float32Array);
    for (const s of io.slots) ts.slots.set(`${s.param}:${s.slot}`, new Float32Array(s.shape.reduce((a, b) => a * b, 1)));
    for (const s of io.states) ts.states.set(s.name, this.state.get(s.name)!.data as Float32Array);
    this.runner = await StepRunner.create(graph, ts, { threads: this.options.threads, provider: this.options.provider, maskSeed: this.options.seed });
    if (this.runner.fallback) this.ctx.log(this.runner.fallback);
  }

  get provider(): ProviderId { return this.runner.provider; }
  get params(): Map<string, Float32Array> { return this.runner.state.params; }
  get totalSteps(): number { return this.stepsPerEpoch * this.options.epochs; }
  get stepsDone(): number { return this.runner.state.step; }

  /** Steps of an epoch still to run. */
  remaining(epoch: number): number { return epoch * this.stepsPerEpoch - this.runner.state.step; }

  beginEpoch(epoch: number): void {
    this.order = epochOrder(this.data.size, this.options.seed, epoch - 1);
    this.epochLoss = 0; this.epochCorrect = 0; this.epochSteps = 0;
    this.epochStart = performance.now();
  }

  /** Run the next chunk of this epoch (≤ stepsPerCall steps). Throws TrainingDivergedError on a non-finite loss. */
  async runChunk(epoch: number, partner?: Map<string, Float32Array>): Promise<void> {
    const B = this.options.batchSize;
    const k = Math.min(this.options.stepsPerCall ?? this.stepsPerCall, this.remaining(epoch));
    const s0 = this.epochSteps;
    const batch = gather(this.data, this.order.subarray(s0 * B, (s0 + k) * B));
    const lr = lrAt(this.options.lr, this.options.schedule ?? { type: 'constant' }, epoch, this.options.epochs);
    const t0 = performance.now();
    const r = await this.runner.run(batch.inputs, BigInt64Array.from(batch.labels, (x) => BigInt(x)), new Float32Array(k).fill(lr), B, this.model.inputShape, partner);
    const dt = (performance.now() - t0) / 1000;
    // Steps per call follow the measured time per step so one call stays near TARGET_CALL_SECONDS
    // (cancel answers within a second). Results do not depend on it: the Loop runs the same step graph.
    if (!this.options.stepsPerCall) {
      this.stepsPerCall = Math.max(1, Math.min(MAX_STEPS_PER_CALL, Math.floor(TARGET_CALL_SECONDS / Math.max(dt / k, 1e-4))));
    }
    const records: Record<string, unknown>[] = [];
    for (let i = 0; i < k; i++) {
      const loss = r.losses[i];
      if (!Number.isFinite(loss)) {
        throw new TrainingDivergedError(`the loss became ${loss} at epoch ${epoch}, step ${s0 + i + 1} (learning rate ${lr}); lower the learning rate or check the data — the last good checkpoint is kept`);
      }
      this.epochLoss += loss; this.epochCorrect += r.corrects[i];
      const rec = { kind: 'step', epoch, step: this.runner.state.step - k + i + 1, loss, accuracy: r.corrects[i] / B, lr, examplesPerSecond: (k * B) / dt };
      records.push(rec);
      this.ctx.metric('train', rec);
    }
    this.epochSteps += k;
    await this.metrics.append(records);
    for (const [bn, st] of this.state) if (bn.endsWith('num_batches_tracked')) (st.data as BigInt64Array)[0] += BigInt(k);
  }

  /** Close an epoch: sync weights, evaluate, keep the checkpoint, log. */
  async endEpoch(epoch: number): Promise<EpochRecord> {
    this.syncState();
    const lr = lrAt(this.options.lr, this.options.schedule ?? { type: 'constant' }, epoch, this.options.epochs);
    const rec: EpochRecord = {
      epoch, seconds: (performance.now() - this.epochStart) / 1000, lr,
      loss: this.epochLoss / Math.max(1, this.epochSteps), accuracy: this.epochCorrect / Math.max(1, this.epochSteps * this.options.batchSize),
    };
    if (this.evalData) {
      const ev = await evaluateModel(encodeModel(this.inferenceModel(this.state)), this.evalData, { sessionOptions: this.options.threads ? { intraOpNumThreads: this.options.threads } : {} });
      rec.evalAccuracy = ev.accuracy; rec.evalLoss = ev.loss;
    }
    if (this.options.keepFrom !== undefined && epoch >= this.options.keepFrom) {
      const file = this.paths.checkpoint(epoch);
      await writeStateDict(file, this.model.tensors, this.state, { ...checkpointMetadata(this.model), seed: String(this.options.seed), epoch: String(epoch) });
      this.checkpoints.push(file);
      this.ctx.metric('train', { kind: 'checkpoint', epoch, path: file });
    }
    this.lastGood = cloneState(this.state);
    this.epochs.push(rec);
    await this.metrics.append([{ kind: 'epoch', ...rec }]);
    this.ctx.metric('train', { kind: 'epoch', ...rec });
    this.ctx.log(`epoch ${epoch}/${this.options.epochs}: loss ${rec.loss.toFixed(4)}, accuracy ${(rec.accuracy * 100).toFixed(2)} %${rec.evalAccuracy !== undefined ? `, eval ${(rec.evalAccuracy * 100).toFixed(2)} %` : ''} (${rec.seconds.toFixed(1)} s)`);
    await this.writeRunJson('running');
    return rec;
  }

  private syncState(): void {
    for (const [k, v] of this.runner.state.params) this.state.get(k)!.data = v;
    for (const [k, v] of this.runner.state.states) this.state.get(k)!.data = v;
  }

  /** Current weights as a state dict (copy). */
  currentState(): StateDict { this.syncState(); return cloneState(this.state); }

  inferenceModel(state: StateDict): ModelProto {
    const m = this.model;
    return buildModel({
      name: m.arch, node: m.nodes, initializer: [...stateInitializers(m, state), ...m.constants],
      input: [valueInfo(m.inputName, TensorDataType.FLOAT, ['N', ...m.inputShape])],
      output: [valueInfo(m.outputName, TensorDataType.FLOAT, ['N', m.numClasses])], valueInfo: [],
    }, { arch: m.arch, config: JSON.stringify(m.config), 'merge_studio.seed': String(this.options.seed) });
  }

  /** Write model.onnx from the last good weights and the final run.json. */
  async finish(status: TrainResult['status'], error?: string): Promise<TrainResult> {
    this.status = status; this.error = error;
    const weights = status === 'completed' ? this.currentState() : this.lastGood;
    // model.onnx first; if the disk refuses it, run.json (small) still records the outcome
    let modelError: string | undefined;
    try {
      await writeAtomic(this.paths.model, encodeModel(this.inferenceModel(weights)));
    } catch (e) {
      modelError = (e as Error).message;
      this.modelWritten = false;
      if (status === 'completed') { this.status = status = 'failed'; this.error = error = modelError; }
    }
    try {
      await this.writeRunJson(status);
    } finally {
      releaseRun(this.options.outDir);
    }
    await this.runner.release();
    if (modelError && !error?.includes(modelError)) this.ctx.log(modelError);
    if (modelError && this.error === modelError) throw new Error(modelError);
    return {
      status, epochs: this.epochs, checkpoints: this.checkpoints, model: this.paths.model, outDir: this.options.outDir,
      provider: this.runner.provider, stepsPerCall: this.stepsPerCall, ...(error ? { error } : {}),
    };
  }

  private async writeRunJson(status: string): Promise<void> {
    const o = this.options;
    const json = {
      kind: 'train', status, startedAt: this.startedAt, updatedAt: new Date().toISOString(),
      // while running: whose run it is, so that a run whose process died is marked interrupted (jobs/leftovers.ts)
      ...(status === 'running' ? ownerStamp() : {}),
      arch: this.model.arch, config: this.model.config, modelFile: o.modelFile,
      dataset: this.data.id, evalDataset: this.evalData?.id, examples: this.data.size, inputShape: this.data.inputShape, numClasses: this.data.numClasses,
      epochsPlanned: o.epochs, batchSize: o.batchSize, dropLast: true, seed: o.seed,
      optimizer: optimizerConfig(o), lr: o.lr, schedule: o.schedule ?? { type: 'constant' }, keepFrom: o.keepFrom, initFrom: o.initFrom,
      threads: o.threads, provider: this.runner.provider, providerFallback: this.runner.fallback, stepsPerCall: this.stepsPerCall,
      epochs: this.epochs, checkpoints: this.checkpoints, model: status === 'running' || !this.modelWritten ? undefined : this.paths.model,
      error: this.error,
      environment: { node: process.version, onnxruntime: ort.env.versions.common, platform: `${process.platform}-${process.arch}` },
    };
    await writeAtomic(this.paths.runJson, JSON.stringify(json, null, 2));
  }
}

function validate(o: TrainOptions): void {
  const bad = (what: string) => { throw new Error(`invalid training options: ${what}`); };
  if (!o.arch && !o.modelFile) bad('give an architecture (--arch) or a model file');
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) bad(`epochs must be a positive integer, got ${o.epochs}`);
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1)) bad(`batch size must be a positive integer, got ${o.batchSize}`);
  if (!(o.lr > 0 && Number.isFinite(o.lr))) bad(`learning rate must be a positive number, got ${o.lr}`);
  if (o.keepFrom !== undefined && !(Number.isInteger(o.keepFrom) && o.keepFrom >= 1)) bad(`keep-from must be an epoch number ≥ 1, got ${o.keepFrom}`);
  if (o.stepsPerCall !== undefined && !(Number.isInteger(o.stepsPerCall) && o.stepsPerCall >= 1)) bad(`steps per call must be ≥ 1, got ${o.stepsPerCall}`);
}

/** Drive trainers epoch by epoch, chunk by chunk; `partnerOf(i)` gives the coupled partner's weights. */
export async function driveLockstep(trainers: RunTrainer[], ctx: JobContext, partnerOf?: (i: number) => Map<string, Float32Array>): Promise<TrainResult[]> {
  const epochs = Math.max(...trainers.map((t) => t.options.epochs));
  const total = trainers.reduce((a, t) => a + t.totalSteps, 0);
  try {
    for (let e = 1; e <= epochs; e++) {
      const active = trainers.filter((t) => e <= t.options.epochs);
      for (const t of active) t.beginEpoch(e);
      while (active.some((t) => t.remaining(e) > 0)) {
        if (ctx.signal.aborted) throw new CancelledError();
        // partners see each other's weights from before this round (symmetric lockstep)
        const snapshot = partnerOf ? trainers.map((_, i) => new Map(partnerOf(i))) : [];
        for (const t of active) {
          if (t.remaining(e) <= 0) continue;
          await t.runChunk(e, partnerOf ? snapshot[trainers.indexOf(t)] : undefined);
        }
        const done = trainers.reduce((a, t) => a + t.stepsDone, 0);
        ctx.progress({ done, total, unit: 'steps', message: `epoch ${e}/${epochs}` });
      }
      for (const t of active) await t.endEpoch(e);
    }
  } catch (e) {
    const status = e instanceof CancelledError ? 'cancelled' : 'failed';
    // finishing writes files too (a full disk may refuse them): the original error is the one to report
    for (const t of trainers) await t.finish(status, status === 'failed' ? (e as Error).message : undefined).catch((f) => ctx.log(`could not finish ${t.options.outDir}: ${(f as Error).message}`));
    throw e;
  }
  return Promise.all(trainers.map((t) => t.finish('completed')));
}

/**
 * Train one model. Writes DIR/model.onnx, DIR/checkpoints/epoch-NNN.safetensors (kept epochs),
 * DIR/init.safetensors, DIR/metrics.jsonl and DIR/run.json. Throws CancelledError when cancelled and
 * TrainingDivergedError on a NaN loss, after marking run.json and keeping the last good weights.
 */
export async function trainModel(options: TrainOptions, ctx: JobContext): Promise<TrainResult> {
  const t = await RunTrainer.create(options, ctx);
  const [r] = await driveLockstep([t], ctx);
  return r;
}

/** `initFrom` is a run folder (its init.safetensors) or a weights file of any format. */
async function initFileOf(initFrom: string): Promise<string> {
  const st = await fs.stat(initFrom).catch(() => null);
  if (!st) throw new Error(`init-from: ${initFrom} does not exist; give a run folder (with init.safetensors) or a weights file`);
  return st.isDirectory() ? runPaths(initFrom).init : initFrom;
}

async function sizesOfFile(file: string, arch: string, given: SizeOptions): Promise<SizeOptions> {
  const src = await openModel(file);
  try {
    return resolveSizes(arch, src, given);
  } finally {
    await src.close();
  }
}
