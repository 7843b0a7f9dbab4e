// Training jobs: one run, or a pair from one initialisation (optionally coupled), through the trainer — each a
// run of the workspace. Without an output folder a run trains into a new folder <workspace>/runs/<time>-train-ARCH/
// (its run.json is the record). An output folder the user chose elsewhere keeps the files, and a record in the
// workspace (kind train, `outDir` naming that folder) puts the run in the history all the same; a folder that
// already holds a run's files is refused unless overwrite is set.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { hashInputs } from '../../compare/hashes';
import type { Dataset } from '../../data/types';
import { defaultWorkspace } from '../../environment';
import { CancelledError, type JobContext } from '../../job-context';
import type { TrainPairRequest, TrainRequest } from '../../train/options-schema';
import { trainModel, trainPair, type Coupling, type TrainOptions, type TrainResult } from '../../train';
import { runPaths } from '../../train/run-files';
import { describeSweep, sweepLeftovers } from '../../workspace/leftovers';
import { OutputExistsError } from '../../workspace/output-guard';
import { makeRunDir, RunFolder } from '../../workspace/run-folder';
import { runLabel } from '../../workspace/run-label';

export function trainTitle(r: TrainRequest): string {
  return `Train ${r.arch ?? 'model'} on ${r.dataset} (${r.epochs} epoch${r.epochs === 1 ? '' : 's'})`;
}

/** Training options whose output folder may be left to the workspace. */
export type TrainPlan = Omit<TrainOptions, 'outDir'> & { outDir?: string };

export interface TrainRunOptions {
  workspace: string;
  /** Train into a folder that holds an earlier run's files (they are replaced). */
  overwrite?: boolean;
}

const specOf = (d: string | Dataset | undefined) => (d === undefined || typeof d === 'string' ? d : d.id);

/** "train · smallcnn on mnist:train" (a fine-tune: the model file's name). */
export function trainLabel(o: TrainPlan): string {
  return runLabel('train', `${o.arch ?? path.parse(o.modelFile ?? 'model').name} on ${specOf(o.dataset)}`);
}

/** A folder that holds what a training run writes: another run's files, not replaced unasked. */
async function refuseUsedFolder(dir: string, overwrite: boolean | undefined): Promise<void> {
  if (overwrite) return;
  const p = runPaths(dir);
  const used: string[] = [];
  for (const f of [p.runJson, p.model, p.init, p.metrics]) if (await fs.stat(f).then(() => true, () => false)) used.push(f);
  if ((await fs.readdir(p.checkpoints).catch(() => [])).length) used.push(p.checkpoints);
  if (used.length) throw new OutputExistsError([dir], `it holds an earlier run's files (${used.map((f) => path.basename(f)).join(', ')}); choose another folder, leave it out to train into a new run folder of the workspace, or allow replacing them (--overwrite)`);
}

/** The files a run reads, hashed: the model it fine-tunes, the weights it starts from. */
async function inputsOf(o: TrainPlan, workspace: string, signal: AbortSignal): Promise<TrainOptions['inputs']> {
  const files: { path: string; role: string }[] = [];
  if (o.modelFile) files.push({ path: o.modelFile, role: 'model' });
  if (o.initFrom) {
    const isDir = await fs.stat(o.initFrom).then((s) => s.isDirectory(), () => false);
    files.push({ path: isDir ? runPaths(o.initFrom).init : o.initFrom, role: 'init' });
  }
  if (!files.length) return undefined;
  const hashed = await hashInputs(files.map((f) => f.path), workspace, signal);
  return files.map((f, i) => ({ path: f.path, sha256: hashed[i]?.sha256, role: f.role }));
}

const insideRuns = (workspace: string, dir: string) => path.dirname(path.resolve(dir)) === path.resolve(workspace, 'runs');

/** A run's folder and its record: the folder itself when it is a run folder of the workspace, else a linked record. */
interface Placed { options: TrainOptions; made: boolean; linked?: RunFolder }

async function place(o: TrainPlan, run: TrainRunOptions, signal: AbortSignal): Promise<Placed> {
  if (o.outDir) await refuseUsedFolder(o.outDir, run.overwrite);
  const label = o.label ?? trainLabel(o);
  const inputs = o.inputs ?? (await inputsOf(o, run.workspace, signal));
  const outDir = o.outDir ?? (await makeRunDir(run.workspace, `train-${o.arch ?? 'finetune'}`));
  const options: TrainOptions = { ...o, outDir, label, ...(inputs ? { inputs } : {}) };
  if (insideRuns(run.workspace, outDir)) return { options, made: !o.outDir };
  const settings = { ...o, dataset: specOf(o.dataset), evalDataset: specOf(o.evalDataset), outDir: path.resolve(outDir) };
  const linked = await RunFolder.create(run.workspace, `train-${o.arch ?? 'finetune'}`, `${JSON.stringify(settings, null, 2)}\n`, {
    kind: 'train', label, outDir: path.resolve(outDir), arch: o.arch, dataset: specOf(o.dataset), epochsPlanned: o.epochs, ...(inputs ? { inputs } : {}),
  });
  return { options, made: false, linked };
}

/** The trainer's own run.json copied into the linked record (its epochs, checkpoints, model), with the outcome. */
async function settleLinked(p: Placed, outcome: { result?: TrainResult; error?: unknown; cancelled?: boolean }): Promise<void> {
  if (!p.linked) return;
  let trained: Record<string, unknown> = {};
  try {
    trained = JSON.parse(await fs.readFile(runPaths(p.options.outDir).runJson, 'utf8')) as Record<string, unknown>;
  } catch { /* the run did not get as far as its run.json */ }
  const { id: _id, label: _label, status: _status, pid: _pid, pidStart: _pidStart, host: _host, kind: _kind, ...fields } = trained;
  const status = outcome.cancelled ? 'cancelled' : outcome.result?.status === 'completed' ? 'succeeded' : 'failed';
  const error = outcome.result?.error ?? (outcome.error instanceof Error ? outcome.error.message : undefined);
  await p.linked.finish(status, { ...fields, outDir: path.resolve(p.options.outDir), ...(error && status === 'failed' ? { error } : {}) }).catch(() => {});
}

/** A folder this job made and nothing was written to (the run could not start) goes again. */
async function unmake(p: Placed): Promise<void> {
  if (p.made) await fs.rmdir(p.options.outDir).catch(() => {});
}

/**
 * Trains `runs` (one, or a pair with `coupling`) as runs of the workspace; returns their results in order.
 * Cancel and failures are recorded in every record before they are thrown.
 */
export async function trainInWorkspace(plans: TrainPlan[], ctx: JobContext, run: TrainRunOptions, coupling?: Coupling): Promise<TrainResult[]> {
  const placed: Placed[] = [];
  try {
    for (const o of plans) placed.push(await place(o, run, ctx.signal));
  } catch (e) {
    for (const p of placed) { await settleLinked(p, { error: e }); await unmake(p); }
    throw e;
  }
  try {
    const results = placed.length === 1
      ? [await trainModel(placed[0].options, ctx)]
      : await trainPair({ a: placed[0].options, b: placed[1].options, ...(coupling ? { coupling } : {}) }, ctx);
    for (const [i, p] of placed.entries()) await settleLinked(p, { result: results[i] });
    return results;
  } catch (e) {
    const cancelled = e instanceof CancelledError || ctx.signal.aborted;
    for (const p of placed) { await settleLinked(p, { error: e, cancelled }); await unmake(p); }
    throw e;
  }
}

/** Before a run from the app: the workspace's leftovers of a killed process (the run folder's own are swept by the trainer). */
async function sweepWorkspace(ctx: JobContext): Promise<void> {
  const line = describeSweep(await sweepLeftovers({ workspace: defaultWorkspace() }));
  if (line) ctx.log(line);
}

export async function runTrain(request: TrainRequest, ctx: JobContext): Promise<TrainResult> {
  await sweepWorkspace(ctx);
  const { overwrite, ...options } = request;
  const [r] = await trainInWorkspace([options], ctx, { workspace: defaultWorkspace(), overwrite });
  return r;
}

export async function runTrainPair(request: TrainPairRequest, ctx: JobContext): Promise<{ a: TrainResult; b: TrainResult }> {
  await sweepWorkspace(ctx);
  const { overwrite: oa, ...a } = request.a;
  const { overwrite: ob, ...b } = request.b;
  const [ra, rb] = await trainInWorkspace([a, b], ctx, { workspace: defaultWorkspace(), overwrite: oa || ob }, request.coupling);
  return { a: ra, b: rb };
}
