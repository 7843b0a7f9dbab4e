// `merge-studio train`: train a built-in architecture (or fine-tune a user's ONNX model) on a dataset,
// writing DIR/model.onnx, DIR/checkpoints/epoch-NNN.safetensors, DIR/metrics.jsonl and DIR/run.json — DIR a new
// run folder of the workspace, or --out DIR (then a record in the workspace names it: it is a run all the same).
// `--couple-with DIR2` trains a second run into DIR2 in lockstep, from the same initial weights,
// optionally pulled towards this one by λ‖w − w_partner‖² (paired training from one initialisation).
import fs from 'node:fs';
import path from 'node:path';
import { loadDataset, type Dataset } from '../engine/data';
import type { JobContext } from '../engine/job-context';
import { getArchitecture, listArchitectures } from '../engine/models';
import { defaultWorkspace } from '../engine/environment';
import { trainInWorkspace, type TrainPlan } from '../engine/jobs/kinds/train';
import { TrainingDivergedError, type Coupling, type TrainResult } from '../engine/train';
import { OrderFileError, readOrderFile } from '../engine/train/order-file';
import type { LrSchedule } from '../engine/train/schedule';
import { CliError, type CliCommand } from './common';
import { OutputExistsError } from '../engine/workspace/output-guard';
import { isCancelled, terminalJob } from './progress';

const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
const SCHEDULES = ['constant', 'step', 'cosine'] as const;
const PROVIDERS = ['cpu', 'cuda', 'dml'] as const;
/** Which architecture reads which size option. */
const HIDDEN_ARCHS = ['mlp', 'vgg'];
const WIDTH_ARCHS = ['vgg', 'resnet'];

type Values = Record<string, string | boolean | string[] | undefined>;

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

function str(v: Values, name: string): string | undefined {
  const x = v[name];
  if (x === undefined) return undefined;
  if (typeof x !== 'string') throw new CliError(`--${name} needs a value`);
  if (x.trim() === '') throw new CliError(`--${name} needs a value, got an empty one`);
  return x;
}

function list(v: Values, name: string): string[] {
  const x = v[name];
  if (x === undefined) return [];
  return (Array.isArray(x) ? x : [String(x)]);
}

/** A number option: `check` says what it must be (for the message). */
function num(v: Values, name: string, what: 'positive' | 'nonnegative' | 'unit' | 'any'): number | undefined {
  const s = str(v, name);
  if (s === undefined) return undefined;
  const x = NUMBER.test(s.trim()) ? Number(s) : NaN;
  const ok = Number.isFinite(x) && (what === 'positive' ? x > 0 : what === 'nonnegative' ? x >= 0 : what === 'unit' ? x >= 0 && x <= 1 : true);
  if (!ok) {
    const need = { positive: 'a positive number', nonnegative: 'a number ≥ 0', unit: 'a number between 0 and 1', any: 'a number' }[what];
    throw new CliError(`--${name} must be ${need}, got "${s}"`);
  }
  return x;
}

function int(v: Values, name: string, min: number): number | undefined {
  const s = str(v, name);
  if (s === undefined) return undefined;
  const x = /^[+-]?\d+$/.test(s.trim()) ? Number(s) : NaN;
  if (!Number.isSafeInteger(x) || x < min) {
    throw new CliError(`--${name} must be ${min === 0 ? 'an integer ≥ 0' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`}, got "${s}"`);
  }
  return x;
}

function oneOf<T extends string>(v: Values, name: string, choices: readonly T[]): T | undefined {
  const s = str(v, name);
  if (s === undefined) return undefined;
  if (!(choices as readonly string[]).includes(s)) throw new CliError(`--${name} must be one of ${choices.join(', ')}, got "${s}"`);
  return s as T;
}

/** "512,512,512" → [512, 512, 512]. */
export function parseHidden(s: string): number[] {
  const parts = s.split(',').map((p) => p.trim());
  const out = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (!parts.length || out.some((x) => !Number.isSafeInteger(x) || x < 1)) {
    throw new CliError(`--hidden must be a comma-separated list of positive widths such as 512,512, got "${s}"`);
  }
  return out;
}

/** The dataset spec with `?task=X` (or `&task=X`) appended for each task. */
export function withTasks(spec: string, tasks: string[]): string {
  let s = spec;
  for (const t of tasks) {
    if (!t.trim()) throw new CliError('--task needs a task name (e.g. rotate:90, subset:0-4, invert)');
    s += `${s.includes('?') ? '&' : '?'}task=${t.trim()}`;
  }
  return s;
}

async function dataset(spec: string, flag: string, ctx: JobContext): Promise<Dataset> {
  try {
    return await loadDataset(spec, ctx);
  } catch (e) {
    if (isCancelled(e)) throw e;
    throw new CliError(`${flag}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** --couple-layer NAME=L (repeatable) → per-tensor λ. */
function perTensorLambdas(items: string[]): Record<string, number> | undefined {
  if (!items.length) return undefined;
  const out: Record<string, number> = {};
  for (const it of items) {
    const eq = it.lastIndexOf('=');
    const name = eq < 0 ? '' : it.slice(0, eq).trim();
    const value = eq < 0 ? '' : it.slice(eq + 1).trim();
    const x = NUMBER.test(value) ? Number(value) : NaN;
    if (!name || !(x >= 0)) throw new CliError(`--couple-layer must be NAME=LAMBDA with LAMBDA ≥ 0 (e.g. features.0.weight=0.5), got "${it}"`);
    out[name] = x;
  }
  return out;
}

interface Plan {
  a: TrainPlan;
  /** The partner run of --couple-with (dataset spec filled in later). */
  b?: TrainPlan;
  coupling?: Coupling;
  specs: { train: string; eval?: string; partner?: string };
}

/** Every flag checked here, before anything is loaded or written (bad input: CliError, exit 2). */
function plan(v: Values, positionals: string[]): Plan {
  if (positionals.length) throw new CliError(`train takes no positional arguments, got "${positionals[0]}" (options start with --)`);
  const arch = str(v, 'arch');
  const modelFile = str(v, 'model');
  if (arch && modelFile) throw new CliError('give either --arch or --model, not both');
  if (!arch && !modelFile) throw new CliError(`give --arch (${listArchitectures().map((a) => a.id).join(', ')}) or --model FILE.onnx to fine-tune`);
  if (arch && !listArchitectures().some((a) => a.id === arch)) {
    throw new CliError(`unknown architecture "${arch}"; choose one of: ${listArchitectures().map((a) => a.id).join(', ')}`);
  }
  if (modelFile) {
    if (!modelFile.toLowerCase().endsWith('.onnx')) throw new CliError(`--model must be an .onnx model to fine-tune, got ${modelFile}`);
    if (!fs.existsSync(modelFile)) throw new CliError(`${modelFile}: no such file; check the path`);
  }
  const hiddenText = str(v, 'hidden');
  const hidden = hiddenText === undefined ? undefined : parseHidden(hiddenText);
  if (hidden && !(arch && HIDDEN_ARCHS.includes(arch))) throw new CliError(`--hidden applies to --arch ${HIDDEN_ARCHS.join('/')} only`);
  const width = int(v, 'width', 1);
  if (width !== undefined && !(arch && WIDTH_ARCHS.includes(arch))) throw new CliError(`--width applies to --arch ${WIDTH_ARCHS.join('/')} only`);

  const trainSpec = withTasks(str(v, 'dataset') ?? 'mnist', list(v, 'task'));
  const evalSpec = str(v, 'eval-dataset');

  const epochs = int(v, 'epochs', 1) ?? 10;
  const batchSize = int(v, 'batch-size', 1) ?? 64;
  const optimizer = oneOf(v, 'optimizer', OPTIMIZERS) ?? 'sgd';
  const lr = num(v, 'lr', 'positive') ?? (optimizer === 'sgd' ? 0.01 : 0.001);
  const momentum = num(v, 'momentum', 'unit');
  const nesterov = v.nesterov === true ? true : undefined;
  const weightDecay = num(v, 'weight-decay', 'nonnegative');
  const beta1 = num(v, 'beta1', 'unit');
  const beta2 = num(v, 'beta2', 'unit');
  if (optimizer !== 'sgd' && (momentum !== undefined || nesterov)) throw new CliError(`--momentum and --nesterov apply to --optimizer sgd; ${optimizer} uses --beta1/--beta2`);
  if (optimizer === 'sgd' && (beta1 !== undefined || beta2 !== undefined)) throw new CliError('--beta1 and --beta2 apply to --optimizer adam/adamw');
  if (nesterov && !(momentum! > 0)) throw new CliError('--nesterov needs --momentum greater than 0');

  const scheduleType = oneOf(v, 'schedule', SCHEDULES) ?? 'constant';
  const stepSize = int(v, 'step-size', 1);
  const gamma = num(v, 'gamma', 'positive');
  const minLr = num(v, 'min-lr', 'nonnegative');
  if (scheduleType !== 'step' && (stepSize !== undefined || gamma !== undefined)) throw new CliError('--step-size and --gamma apply to --schedule step');
  if (scheduleType !== 'cosine' && minLr !== undefined) throw new CliError('--min-lr applies to --schedule cosine');
  const schedule: LrSchedule = scheduleType === 'step' ? { type: 'step', stepSize: stepSize ?? Math.max(1, Math.floor(epochs / 3)), gamma: gamma ?? 0.1 }
    : scheduleType === 'cosine' ? { type: 'cosine', ...(minLr !== undefined ? { minLr } : {}) } : { type: 'constant' };

  const seedText = str(v, 'seed');
  if (seedText !== undefined && !/^[+-]?\d+$/.test(seedText.trim())) throw new CliError(`--seed must be an integer, got "${seedText}"`);
  const seed = seedText === undefined ? 0 : Number(seedText);
  if (!Number.isSafeInteger(seed)) throw new CliError(`--seed must be an integer, got "${seedText}"`);
  const dropLast = v['drop-last'] === true ? true : undefined;
  const shuffle = v['no-shuffle'] === true ? false : undefined;
  const orderFile = str(v, 'order');
  if (orderFile !== undefined && shuffle === false) throw new CliError('give --order FILE or --no-shuffle, not both (the file sets the order)');
  if (orderFile !== undefined && !(fs.existsSync(orderFile) && fs.statSync(orderFile).isFile())) throw new CliError(`--order: ${orderFile} is not a file; give a JSON or text file of sample indices per epoch`);
  const checkpointEverySteps = int(v, 'checkpoint-every-steps', 1);
  const keepFrom = int(v, 'keep-from', 1);
  if (keepFrom !== undefined && keepFrom > epochs) throw new CliError(`--keep-from ${keepFrom} is after the last epoch (${epochs}); no checkpoint would be kept`);
  const initFrom = str(v, 'init-from');
  if (initFrom !== undefined) {
    const file = fs.existsSync(initFrom) && fs.statSync(initFrom).isDirectory() ? path.join(initFrom, 'init.safetensors') : initFrom;
    if (!fs.existsSync(file)) throw new CliError(`--init-from: ${file} does not exist; give a run folder (with init.safetensors) or a weights file (.safetensors, .pt, .onnx, …)`);
  }
  const threads = int(v, 'threads', 1);
  const provider = oneOf(v, 'ep', PROVIDERS);
  const stepsPerCall = int(v, 'steps-per-call', 1);
  const outDir = str(v, 'out');
  if (outDir && fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new CliError(`--out ${outDir} is a file; give a folder`);

  const a: TrainPlan = {
    ...(arch ? { arch } : { modelFile }), hidden, width, dataset: trainSpec, evalDataset: evalSpec, epochs, batchSize, dropLast, shuffle, orderFile,
    optimizer, lr, momentum, nesterov, weightDecay, beta1, beta2, schedule, seed, keepFrom, checkpointEverySteps, initFrom, threads, provider, outDir, stepsPerCall,
  };
  for (const k of Object.keys(a) as (keyof TrainPlan)[]) if (a[k] === undefined) delete a[k];

  // --couple-with DIR2: the partner run
  const partnerDir = str(v, 'couple-with');
  const lambda = num(v, 'couple-lambda', 'nonnegative');
  const perTensor = perTensorLambdas(list(v, 'couple-layer'));
  const partnerFlags = ['couple-lambda', 'couple-layer', 'partner-dataset', 'partner-task', 'partner-seed'].filter((f) => v[f] !== undefined);
  if (!partnerDir) {
    if (partnerFlags.length) throw new CliError(`--${partnerFlags[0]} needs --couple-with DIR2 (the partner run)`);
    return { a, specs: { train: trainSpec, eval: evalSpec } };
  }
  if (outDir && path.resolve(partnerDir) === path.resolve(outDir)) throw new CliError('--couple-with must name another folder than --out');
  if (fs.existsSync(partnerDir) && !fs.statSync(partnerDir).isDirectory()) throw new CliError(`--couple-with ${partnerDir} is a file; give a folder`);
  const partnerSeedText = str(v, 'partner-seed');
  if (partnerSeedText !== undefined && !/^[+-]?\d+$/.test(partnerSeedText.trim())) throw new CliError(`--partner-seed must be an integer, got "${partnerSeedText}"`);
  const partnerSeed = partnerSeedText === undefined ? seed + 1 : Number(partnerSeedText);
  const partnerTasks = v['partner-task'] !== undefined ? list(v, 'partner-task') : list(v, 'task');
  const partnerSpec = withTasks(str(v, 'partner-dataset') ?? str(v, 'dataset') ?? 'mnist', partnerTasks);
  // The partner starts from this run's initial weights (trainPair passes them), so no initFrom of its own.
  const b: TrainPlan = { ...a, dataset: partnerSpec, seed: partnerSeed, outDir: partnerDir };
  delete b.initFrom;
  const coupling: Coupling | undefined = (lambda ?? 0) > 0 || perTensor ? { lambda: lambda ?? 0, ...(perTensor ? { perTensor } : {}) } : undefined;
  return { a, b, coupling, specs: { train: trainSpec, eval: evalSpec, partner: partnerSpec } };
}

function checkBatch(batchSize: number, d: Dataset): void {
  if (d.size < batchSize) throw new CliError(`--batch-size ${batchSize} is more than the ${d.size} examples of ${d.id}; lower it`);
}

/** --order's file read and checked against the loaded dataset now, so that a bad file is bad input (exit 2). */
async function checkOrderFile(o: TrainPlan, d: Dataset): Promise<void> {
  if (!o.orderFile) return;
  try {
    await readOrderFile(o.orderFile, d.size, o.epochs);
  } catch (e) {
    if (e instanceof OrderFileError) throw new CliError(`--order: ${e.message}`);
    throw e;
  }
}

/** --couple-layer names must be parameters of the model. */
function checkLayerNames(perTensor: Record<string, number>, o: TrainPlan, d: Dataset): void {
  const names = getArchitecture(o.arch!).build({ inputShape: d.inputShape, numClasses: d.numClasses, hidden: o.hidden, width: o.width })
    .tensors.filter((t) => t.role === 'param').map((t) => t.name);
  const unknown = Object.keys(perTensor).filter((n) => !names.includes(n));
  if (unknown.length) throw new CliError(`--couple-layer: ${o.arch} has no parameter "${unknown[0]}"; its parameters are ${names.join(', ')}`);
}

function summary(r: TrainResult) {
  return {
    status: r.status, outDir: r.outDir,
    epochs: r.epochs.map(({ epoch, seconds, loss, accuracy, lr, evalAccuracy, evalLoss }) => ({
      epoch, seconds, loss, accuracy, lr, ...(evalAccuracy !== undefined ? { evalAccuracy, evalLoss } : {}),
    })),
    checkpoints: r.checkpoints, model: r.model, provider: r.provider, stepsPerCall: r.stepsPerCall,
  };
}

function printText(r: TrainResult, label = ''): void {
  const last = r.epochs[r.epochs.length - 1];
  console.log(`${label}trained ${r.epochs.length} epoch${r.epochs.length === 1 ? '' : 's'} on ${r.provider}` +
    (last ? `: loss ${last.loss.toFixed(4)}, train accuracy ${(100 * last.accuracy).toFixed(2)} %` : '') +
    (last?.evalAccuracy !== undefined ? `, eval accuracy ${(100 * last.evalAccuracy).toFixed(2)} %` : ''));
  console.log(`${label}  model       ${r.model}`);
  for (const c of r.checkpoints) console.log(`${label}  checkpoint  ${c}`);
}

export const trainCommand: CliCommand = {
  name: 'train',
  usage: 'train --arch A [--out DIR] [--workspace-dir DIR] [options]',
  summary: 'train a model (mlp, smallcnn, vgg, resnet) or fine-tune an ONNX model',
  help: `
Model (one of):
  --arch smallcnn|mlp|vgg|resnet   a built-in architecture (PyTorch state-dict names)
    --hidden 512,512               mlp hidden widths (default 512,512); vgg classifier widths (default 128,128)
    --width N                      vgg (default 32) / resnet (default 16) base width
  --model FILE.onnx                fine-tune this ONNX model (every op needs a backward rule)
Data:
  --dataset SPEC                   training data (default mnist, i.e. mnist:train; also idx:…, imagefolder:…, csv:…)
  --task T                         derived task appended as ?task=T (repeatable): subset:0-4, rotate:90, invert, color-bg
  --eval-dataset SPEC              evaluated after each epoch (e.g. mnist:test)
Optimisation:
  --epochs N (10)  --batch-size B (64)  --optimizer sgd|adam|adamw (sgd)
  --lr X (0.01 for sgd, 0.001 for adam/adamw)  --momentum M  --nesterov  --weight-decay W  --beta1 B1  --beta2 B2
  --schedule constant|step|cosine (constant)  --step-size N (epochs/3) --gamma G (0.1)  --min-lr X (0)
  --seed S (0)                     initial weights, data order and dropout masks
  --drop-last                      drop each epoch's last batch when smaller than B (default: train on it too,
                                   as PyTorch's DataLoader with drop_last=False)
  --no-shuffle                     visit the examples in the dataset's order every epoch (default: a seeded shuffle)
  --order FILE                     the sample order of each epoch from a file: JSON [[i, …], …] (one array per
                                   epoch, or one array for every epoch) or text (one epoch per line); each order
                                   a permutation of the 0-based example indices — to replay another run's batches
Run (every training is a run of the workspace, listed by merge-studio runs):
  --out DIR                        gets model.onnx, checkpoints/epoch-NNN.safetensors, init.safetensors, metrics.jsonl, run.json
                                   (default: a new run folder DIR/runs/<time>-train-ARCH of the workspace; a DIR
                                   elsewhere is recorded in the workspace too)
  --overwrite                      train into a --out DIR that holds an earlier run's files (refused otherwise)
  --workspace-dir DIR              the workspace (default: MERGE_STUDIO_WORKSPACE or ~/MergeStudio)
  --keep-from K                    keep a checkpoint after every epoch from epoch K on (none by default)
  --checkpoint-every-steps K       also keep checkpoints/step-NNNNNN.safetensors every K optimiser steps
  --init-from RUN|FILE             start from a run folder's init.safetensors, or a weights file of any format
                                   (a PyTorch state dict of the same module tree: sizes are read off its shapes)
  --threads T  --ep cpu|cuda|dml  --steps-per-call K (chosen automatically)
  --json                           print {status, epochs:[{epoch, seconds, loss, accuracy, …}], checkpoints, model, …}
  --quiet                          no progress bar or progress lines on stderr (warnings and errors still print)
Paired training from one initialisation:
  --couple-with DIR2               also train a partner run into DIR2, in lockstep with this one and from the
                                   SAME initial weights (this run's, from --seed or --init-from). Same options,
                                   except its data order seed (--partner-seed, default S+1) and its data
                                   (--partner-dataset SPEC, default --dataset; --partner-task T, default --task).
  --couple-lambda L                add L·‖w − w_partner‖² to both runs' losses (default 0: independent runs from
                                   one initialisation); --couple-layer NAME=L overrides L per tensor (repeatable)
  With --json the partner's result is under "partner".
Ctrl-C cancels: run.json is marked cancelled and the kept checkpoints stay valid. Exit codes: 0 done,
1 training failed (e.g. the loss became NaN; the last good weights are kept), 2 bad input, 130 cancelled.`,
  example: 'train --arch mlp --hidden 32 --dataset mnist:train --epochs 1 --workspace-dir out/examples/workspace',
  options: {
    arch: { type: 'string' }, model: { type: 'string' }, hidden: { type: 'string' }, width: { type: 'string' },
    dataset: { type: 'string' }, task: { type: 'string', multiple: true }, 'eval-dataset': { type: 'string' },
    epochs: { type: 'string' }, 'batch-size': { type: 'string' }, optimizer: { type: 'string' }, lr: { type: 'string' },
    momentum: { type: 'string' }, nesterov: { type: 'boolean' }, 'weight-decay': { type: 'string' },
    beta1: { type: 'string' }, beta2: { type: 'string' },
    schedule: { type: 'string' }, 'step-size': { type: 'string' }, gamma: { type: 'string' }, 'min-lr': { type: 'string' },
    seed: { type: 'string' }, 'keep-from': { type: 'string' }, 'init-from': { type: 'string' },
    'drop-last': { type: 'boolean' }, 'no-shuffle': { type: 'boolean' }, order: { type: 'string' }, 'checkpoint-every-steps': { type: 'string' },
    'couple-with': { type: 'string' }, 'couple-lambda': { type: 'string' }, 'couple-layer': { type: 'string', multiple: true },
    'partner-dataset': { type: 'string' }, 'partner-task': { type: 'string', multiple: true }, 'partner-seed': { type: 'string' },
    threads: { type: 'string' }, ep: { type: 'string' }, 'steps-per-call': { type: 'string' },
    out: { type: 'string' }, overwrite: { type: 'boolean' }, 'workspace-dir': { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' },
  },
  async run(values, positionals) {
    const p = plan(values, positionals);
    const job = terminalJob('training', values.quiet === true);
    // the bar's message shows the latest step's loss
    let lastLoss: number | undefined;
    const ctx: JobContext = {
      signal: job.ctx.signal,
      log: job.ctx.log,
      metric: (name, value) => { if (value.kind === 'step' && typeof value.loss === 'number') lastLoss = value.loss; job.ctx.metric(name, value); },
      progress: (u) => job.ctx.progress({ ...u, message: `${u.message ?? ''}${lastLoss !== undefined ? ` loss ${lastLoss.toFixed(4)}` : ''}` }),
    };
    let results: TrainResult[];
    try {
      // datasets are loaded here so that a bad spec is a bad-input error (exit 2) before anything is written
      const train = await dataset(p.specs.train, '--dataset', ctx);
      const evalData = p.specs.eval ? await dataset(p.specs.eval, '--eval-dataset', ctx) : undefined;
      const a: TrainPlan = { ...p.a, dataset: train, ...(evalData ? { evalDataset: evalData } : {}) };
      checkBatch(a.batchSize, train);
      await checkOrderFile(a, train);
      const run = { workspace: str(values, 'workspace-dir') ?? defaultWorkspace(), overwrite: values.overwrite === true };
      if (!p.b) results = await trainInWorkspace([a], ctx, run);
      else {
        const partnerData = p.specs.partner === p.specs.train ? train : await dataset(p.specs.partner!, '--partner-dataset', ctx);
        checkBatch(a.batchSize, partnerData);
        await checkOrderFile(p.b, partnerData);
        if (p.coupling?.perTensor && a.arch) checkLayerNames(p.coupling.perTensor, a, train);
        const b: TrainPlan = { ...p.b, dataset: partnerData, threads: a.threads, ...(evalData ? { evalDataset: evalData } : {}) };
        results = await trainInWorkspace([a, b], ctx, run, p.coupling);
      }
    } catch (err) {
      if (isCancelled(err)) throw new CliError(`cancelled; ${p.a.outDir ? `${p.a.outDir}/run.json` : 'its run.json'} is marked cancelled and the kept checkpoints stay valid`, 130);
      if (err instanceof OutputExistsError) throw new CliError(`--out ${err.message}`);
      if (err instanceof TrainingDivergedError) throw new CliError(err.message, 1);
      throw err;
    } finally {
      job.done();
    }
    const [ra, rb] = results;
    if (values.json) {
      console.log(JSON.stringify(rb ? { ...summary(ra), partner: summary(rb), coupling: p.coupling ?? { lambda: 0 } } : summary(ra), null, 2));
    } else {
      printText(ra);
      if (rb) printText(rb, 'partner: ');
    }
    return 0;
  },
};
