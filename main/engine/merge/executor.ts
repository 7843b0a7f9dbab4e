// The streaming executor: one output tensor at a time — read each input's tensor, convert to f32, run the
// method's kernel, convert to the output dtype, write. Peak memory stays near (inputs + 2) × the largest
// tensor whatever the model size. Cancel or failure aborts the write session, so nothing half-written is
// left; the writers write to a temp file and rename on finish; inputs are only ever read.
// runMerge puts the steps in order; each lives beside it: run-start.ts (recipe, run folder, alignment),
// parent-hashes.ts and provenance.ts (the parents' hashes, the output's metadata), merge-output.ts (the
// file written), tensor-stream.ts with tensor-reads.ts and compute-tensor.ts (the loop over the tensors).
import { availableParallelism } from 'node:os';
import type { WrittenFile } from '../formats/types';
import type { MergeIO } from '../formats/model-io';
import { WriteFailedError } from '../files/disk-errors';
import { CancelledError, type JobContext } from '../job-context';
import { measureStatistics, withStatistics } from './data-aware';
import { hashFiles } from './hashing';
import { linearPool } from './kernels/pool';
import { MergeOutput, outputTarget } from './merge-output';
import { outputWriter, planOutputFolder, writeFolderFiles } from './output-folder';
import { ParentHashes } from './parent-hashes';
import type { MergePlan, PlanSources } from './plan';
import { openSources, preflightWithPlan, type PreflightReport } from './preflight';
import { Provenance, rerunRecord, type ParentRecord } from './provenance';
import type { Recipe, ResolvedOutput, ResolvedRecipe } from './recipe';
import type { RunFolder } from '../workspace/run-folder';
import { startRun, type StartedRun } from './run-start';
import { TensorReader } from './tensor-reads';
import { streamTensors } from './tensor-stream';

export { METADATA_KEYS, type ParentRecord, type RerunRecord } from './provenance';

/**
 * For a writer that needs its metadata at begin() (ONNX): merged tensors kept in memory while the parents
 * are still being hashed (the output cannot begin before its metadata, which holds the hashes, is known),
 * so hashing and merging overlap. Only with cores to spare: on 2 shared cores (bench/merge.ts) the overlap
 * made the run slower, 6.6–7.4 s against 4.3–4.7 s hashing first, because the hash workers and the merge
 * competed for the same cores. (Writers with `lateMetadata` need none of this: the parents are hashed from
 * the bytes the merge reads.)
 */
export const QUEUE_MAX_BYTES = availableParallelism() >= 6 ? 128 << 20 : 0;

export interface MergeResult {
  output: { path: string; bytes: number; sha256: string };
  parents: ParentRecord[];
  method: string;
  counts: PreflightReport['counts'];
  warnings: string[];
  seconds: number;
  /** The run folder, when a workspace was given. */
  runDir?: string;
}

export interface RunMergeOptions {
  /** Folder relative recipe paths resolve against (the recipe file's folder); default: the current folder. */
  baseDir?: string;
  /**
   * When given, the run is recorded under <workspace>/runs/<time>-<slug>/, and the parents' and the
   * output's hashes are kept in its cache (hash-cache.ts): parents unchanged since are not hashed again.
   */
  workspace?: string;
  /** How files are opened and written (default: the format registry). */
  io?: MergeIO;
  /**
   * For an output format that needs its metadata first (ONNX): bytes of merged tensors held while the
   * parents are hashed (default: 128 MB with ≥ 6 cores, else 0 = hash first). Unused for the others.
   */
  hashOverlapBytes?: number;
}

/** The pre-flight found problems: the merge did not start. */
export class MergeBlockedError extends Error {
  constructor(public readonly blocking: string[]) {
    super(`the merge cannot run:\n- ${blocking.join('\n- ')}`);
    this.name = 'MergeBlockedError';
  }
}

/**
 * Whether the output's writer takes its metadata at finish(): then the parents are hashed from the bytes
 * the merge reads (one pass over each file, see StreamingFileHash). Otherwise every parent byte is hashed
 * in worker threads from the start; the output begins once the hashes are known, and merged tensors wait
 * in a bounded queue meanwhile.
 */
function takesMetadataLate(io: MergeIO, output: ResolvedOutput): boolean {
  try {
    return outputWriter(io, output).lateMetadata === true;
  } catch {
    return false; // the pre-flight says why
  }
}

/** The opened sources, the pre-flight and the plan; throws MergeBlockedError when anything blocks. */
function checkedPlan(resolved: ResolvedRecipe, opened: { sources?: PlanSources; blocking: string[] }, io: MergeIO, log: (m: string) => void): { sources: PlanSources; report: PreflightReport; plan: MergePlan } {
  if (!opened.sources) throw new MergeBlockedError(opened.blocking);
  const { report, plan } = preflightWithPlan(resolved, opened.sources, io);
  for (const w of report.warnings) log(`warning: ${w}`);
  if (report.blocking.length) throw new MergeBlockedError(report.blocking);
  return { sources: opened.sources, report, plan };
}

/**
 * Runs a recipe: resolve, open, pre-flight (throws MergeBlockedError when anything blocks), hash the
 * parents, stream the merge into the output, record the run. Throws CancelledError on cancel.
 */
export async function runMerge(recipe: Recipe | ResolvedRecipe, ctx: JobContext, options: RunMergeOptions = {}): Promise<MergeResult> {
  const started = Date.now();
  const start = await startRun(recipe, ctx, options);
  const { resolved, io, run, log } = start;
  const parentFiles = [...resolved.models.map((m) => m.path), ...(resolved.base ? [resolved.base] : [])];
  const provenance = new Provenance(resolved.method, start.recipeYaml, parentFiles, resolved.models.length, rerunRecord(resolved));
  const lateMetadata = takesMetadataLate(io, resolved.output);
  // Parents whose hash the workspace remembers (unchanged since) are not hashed again; the others are.
  const hashes = await ParentHashes.start(parentFiles, options.workspace, lateMetadata, ctx);
  const opened = await openSources(resolved, io);
  let output: MergeOutput | undefined;
  let reader: TensorReader | undefined;
  try {
    const { sources, report, plan } = checkedPlan(resolved, opened, io, log);
    // A model folder's config, tokenizer and card are planned now: what cannot be written stops the merge here.
    const folder = resolved.output.folder ? await planOutputFolder(resolved, sources, plan, start.recipeYaml) : undefined;
    if (folder?.blocking.length) throw new MergeBlockedError(folder.blocking);
    for (const n of folder?.notes ?? []) log(`note: ${n}`);
    // data-aware methods: each model measured on its data sample first (merge/data-aware/)
    if (plan.method.data) plan.method = withStatistics(plan.method, await measureStatistics(plan.method, resolved.models.map((m) => m.path), plan.method.params.parse(resolved.parameters), resolved.data!, io, { ...ctx, log }));
    const queueMax = options.hashOverlapBytes ?? QUEUE_MAX_BYTES;
    const hashers = await hashes.streamFrom([...sources.models, ...(sources.base ? [sources.base] : [])]);
    hashes.logPlan(log, queueMax > 0);
    // Not counted yet (total 0): "0 B/1 B" would be a count of nothing.
    ctx.progress({ done: 0, total: 0, message: 'hashing parents' });
    if (ctx.signal.aborted) throw new CancelledError();
    const writer = outputWriter(io, resolved.output);
    output = new MergeOutput(writer, outputTarget(resolved.output.path, plan, sources.models[0], writer, report.output.bytes), queueMax, ctx, log);
    let parents: ParentRecord[] = [];
    // Streamed hashes: the output begins now with placeholder hashes of the same length; finish() gets the real ones.
    if (lateMetadata) output.beginNow(await provenance.placeholderMetadata());
    else output.beginWhen(hashes.hashedFirst(), (h) => provenance.metadata((parents = provenance.records(h))));

    reader = new TensorReader(plan, sources, hashers);
    log(`merging ${plan.tensors.length} tensors with ${plan.method.id} into ${resolved.output.path}`);
    await streamTensors(plan, reader, output, ctx, log, run);
    await output.open();
    if (ctx.signal.aborted) throw new CancelledError();
    if (lateMetadata) {
      parents = provenance.records(await hashes.finishStreamed());
      if (ctx.signal.aborted) throw new CancelledError();
    }
    const written = await output.finish(lateMetadata ? provenance.metadata(parents) : undefined);
    if (folder) await writeFolderFiles(resolved.output.path, folder.files);
    return await recordSuccess({ written, parents, report, started }, start, hashes, ctx);
  } catch (e) {
    throw await failedRun(e, output, run, ctx);
  } finally {
    if (reader) linearPool().forget(reader.arena);
    await hashes.close();
    await opened.close();
  }
}

/** The output's hash, the parents' and the output's hashes cached, the run recorded as succeeded. */
async function recordSuccess(done: { written: WrittenFile | void; parents: ParentRecord[]; report: PreflightReport; started: number }, start: StartedRun, hashes: ParentHashes, ctx: JobContext): Promise<MergeResult> {
  const { resolved, run } = start;
  const { parents, report } = done;
  // The output's hash, from the writer when it hashed the bytes as it wrote them, else by reading it back.
  const outHash = done.written ? { file: resolved.output.path, ...done.written } : (await hashFiles([resolved.output.path]))[0];
  const result: MergeResult = {
    output: { path: resolved.output.path, bytes: outHash.bytes, sha256: outHash.sha256 },
    parents,
    method: resolved.method,
    counts: report.counts,
    warnings: report.warnings,
    seconds: (Date.now() - done.started) / 1000,
    runDir: run?.dir,
  };
  // In the run's log only: the caller says it once from the result (the CLI printed it twice).
  run?.log(`wrote ${resolved.output.path} (${outHash.bytes} bytes, sha256 ${outHash.sha256}) in ${result.seconds.toFixed(2)} s`);
  await hashes.remember(parents, outHash);
  try {
    await run?.finish('succeeded', {
      output: result.output, parents, counts: result.counts, warnings: result.warnings,
      inputs: parents.map((p) => ({ path: p.path, sha256: p.sha256, role: p.role })),
    });
  } catch (e) {
    // The output is complete and in place; only its record is lost: a warning, not a failed merge.
    result.warnings.push(`the run could not be recorded: ${(e as Error).message}`);
    result.runDir = undefined;
    ctx.log(`warning: ${result.warnings[result.warnings.length - 1]}`);
  }
  return result;
}

/** After a failure or cancel: the partial output removed, the run recorded; returns the error to throw. */
async function failedRun(e: unknown, output: MergeOutput | undefined, run: RunFolder | undefined, ctx: JobContext): Promise<unknown> {
  await output?.abort();
  const cancelled = e instanceof CancelledError || ctx.signal.aborted;
  // A full disk is said again now that the partial output is gone, so the free space counts without it.
  const err = cancelled && !(e instanceof CancelledError) ? new CancelledError() : e instanceof WriteFailedError && e.diskFull ? e.restated() : e;
  if (run) {
    run.log(cancelled ? 'cancelled; the partial output was removed' : `failed: ${(err as Error).message}`);
    // A run folder that cannot be written must not hide the error the user needs to see.
    await run.finish(cancelled ? 'cancelled' : 'failed', cancelled ? {} : { error: (err as Error).message, blocking: (err as MergeBlockedError).blocking }).catch(() => {});
  }
  return err;
}
