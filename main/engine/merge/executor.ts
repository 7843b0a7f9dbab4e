// The streaming executor: one output tensor at a time — read each input's tensor, convert to f32, run the
// method's kernel, convert to the output dtype, write. Peak memory stays near (inputs + 2) × the largest
// tensor whatever the model size. Cancel or failure aborts the write session, so nothing half-written is
// left; the writers write to a temp file and rename on finish; inputs are only ever read.
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { FormatWriter, ModelSource, TensorInfo, TensorSpec, TensorWriteSession, WrittenFile } from '../formats/types';
import { CancelledError, type JobContext } from '../job-context';
import { DTYPE_SIZE, fromFloat32, numElements, toFloat32, type DType } from '../tensor/dtypes';
import { isShared } from '../formats/offload-hash';
import { FileHashCache, type Lookup } from './hash-cache';
import { hashFiles, StreamingFileHash, type FileHash } from './hashing';
import { SharedArena } from './kernels/arena';
import { linearPool, POOL_MIN_ELEMENTS } from './kernels/pool';
import { registryIO, type MergeIO } from '../formats/model-io';
import type { MergeMethod } from './methods';
import { TensorIndex, type MergePlan, type PlannedTensor } from './plan';
import { openSources, preflightWithPlan, type PreflightReport } from './preflight';
import { recipeToYaml, resolveRecipe, type Recipe, type ResolvedRecipe } from './recipe';
import { RunFolder } from './runs';
import { describeWriteError, WriteFailedError } from '../files/disk-errors';
import { describeSweep, sweepLeftovers } from '../workspace/leftovers';
import { prepareAlignment } from '../align/recipe-align';
import { writeFileAtomic } from '../files/writeAtomic';

/** Metadata keys the output carries (provenance). */
export const METADATA_KEYS = {
  recipe: 'merge_studio.recipe',
  parents: 'merge_studio.parents',
  method: 'merge_studio.method',
} as const;

/** A tensor whose inputs are bigger than this is read alone (not ahead of the merge); smaller ones lie in the arena. */
const PREFETCH_MAX_BYTES = 64 << 20;
/** Tensor notes (a documented difference from the reference applied) logged in full; the rest are counted. */
const NOTES_LOGGED = 20;
/** Inputs read ahead of the merge, at most (at least one tensor's). */
const READ_AHEAD_BYTES = 128 << 20;
/**
 * Merged tensors whose buffers may still be held (hashed, written) when the next big read starts. With one,
 * a merge of big tensors holds at most two tensors' inputs and outputs (the one hashed and written, the one
 * read and merged); three let a lagging hash worker push 4 × 512 MB (32 MB tensors) to 828 MB RSS.
 */
const TENSORS_IN_FLIGHT = 1;
/**
 * For a writer that needs its metadata at begin() (ONNX): merged tensors kept in memory while the parents
 * are still being hashed (the output cannot begin before its metadata, which holds the hashes, is known),
 * so hashing and merging overlap. Only with cores to spare: on 2 shared cores (bench/merge.ts) the overlap
 * made the run slower, 6.6–7.4 s against 4.3–4.7 s hashing first, because the hash workers and the merge
 * competed for the same cores. (Writers with `lateMetadata` need none of this: the parents are hashed from
 * the bytes the merge reads.)
 */
const QUEUE_MAX_BYTES = availableParallelism() >= 6 ? 128 << 20 : 0;

export interface ParentRecord {
  role: 'model' | 'base';
  path: string;
  name: string;
  sha256: string;
  bytes: number;
}

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

function isResolved(r: Recipe | ResolvedRecipe): r is ResolvedRecipe {
  return (r as ResolvedRecipe).recipe !== undefined && (r as ResolvedRecipe).baseDir !== undefined;
}

/** A disk-full or other write failure, said in words: which file, how much space it needed, what to do. */
function writeError(output: string, e: unknown, neededBytes?: number): Error {
  return describeWriteError(output, e, neededBytes);
}

/** Bytes → f32 values: a view when already aligned f32 (no copy), else a conversion. */
function asFloat32(bytes: Uint8Array, dtype: DType): Float32Array {
  if (dtype === 'f32' && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return toFloat32(bytes, dtype);
}

/** A tensor's bytes as read; `hashed` resolves once its file's hasher is done with them. */
interface Read { data: Uint8Array; hashed?: Promise<unknown>; buffer?: Uint8Array }

/** Reads a tensor (into shared memory when the reader can); with a hasher for its file, the bytes are hashed too. */
async function readChecked(info: TensorInfo, file: string, hasher: StreamingFileHash | undefined, buffers: SharedArena): Promise<Read> {
  let hashed: Promise<unknown> | undefined;
  let data: Uint8Array;
  let buffer: Uint8Array | undefined;
  if (info.readSpan) {
    const into = buffers.take(info.byteLength);
    const span = info.readSpan(into);
    // The hasher takes its place in the file's order now, before the read ends (see feedWhenRead); the
    // bytes go on to the merge as soon as they are in, and are hashed beside it (nothing writes to them).
    hashed = hasher?.feedWhenRead(span.then((r) => (r.fileOffset === undefined ? undefined : { offset: r.fileOffset, data: r.data })));
    hashed?.catch(() => {}); // awaited before the buffer is reused
    ({ data } = await span);
    if (data.buffer === into.buffer) buffer = into; else buffers.give([into]);
  } else {
    data = await info.read();
  }
  const expected = numElements(info.shape) * DTYPE_SIZE[info.dtype];
  if (data.byteLength !== expected) {
    throw new Error(`${file}: tensor ${info.name} gave ${data.byteLength} bytes, expected ${expected} (${info.dtype}, ${info.shape.join('×')}) — the file may be truncated or damaged`);
  }
  return { data, hashed, buffer };
}

/** Parents hashed from the bytes the merge streams, by index (models, then the base); undefined: hashed apart. */
type StreamHashers = (StreamingFileHash | undefined)[];

interface Inputs {
  infos: TensorInfo[];
  data: Uint8Array[];
  base?: { info: TensorInfo; data: Uint8Array };
  /** Resolve once the hashers are done with the bytes read. */
  hashed: Promise<unknown>[];
  /** Shared buffers the bytes lie in, given back once nothing reads them any more. */
  buffers: Uint8Array[];
}

/** Everything one planned tensor reads, gathered by positioned reads in parallel. */
function readInputs(t: PlannedTensor, plan: MergePlan, sources: { models: ModelSource[]; base?: ModelSource }, index: TensorIndex, baseIndex: TensorIndex | undefined, group: string[] | undefined, hashers: StreamHashers, buffers: SharedArena): Promise<Inputs> {
  const wanted = t.action.kind === 'copy' ? [t.action.from] : sources.models.map((_, i) => i);
  const infos = wanted.map((i) => index.get(i, t.name, group)!);
  const useBase = t.action.kind === 'merge' && (plan.method.needsBase || plan.method.acceptsBase) && baseIndex;
  const baseInfo = useBase ? baseIndex.get(0, t.name, group) : undefined;
  return Promise.all([
    Promise.all(infos.map((info, k) => readChecked(info, sources.models[wanted[k]].path, hashers[wanted[k]], buffers))),
    baseInfo ? readChecked(baseInfo, sources.base!.path, hashers[sources.models.length], buffers) : Promise.resolve(undefined),
  ]).then(([reads, b]) => {
    const all = b ? [...reads, b] : reads;
    return {
      infos,
      data: reads.map((r) => r.data),
      base: baseInfo && b ? { info: baseInfo, data: b.data } : undefined,
      hashed: all.flatMap((r) => (r.hashed ? [r.hashed] : [])),
      buffers: all.flatMap((r) => (r.buffer ? [r.buffer] : [])),
    };
  });
}

function inputBytes(t: PlannedTensor, plan: MergePlan, sources: { models: ModelSource[]; base?: ModelSource }, index: TensorIndex, group: string[] | undefined): number {
  if (t.action.kind === 'copy') return index.get(t.action.from, t.name, group)?.byteLength ?? 0;
  let b = 0;
  for (let i = 0; i < sources.models.length; i++) b += index.get(i, t.name, group)?.byteLength ?? 0;
  if (sources.base && (plan.method.needsBase || plan.method.acceptsBase)) b += b / sources.models.length;
  return b;
}

/**
 * Merges (or copies) one tensor into the bytes to write; big linear merges run in a worker thread, into a
 * shared buffer taken from `buffers` (returned as `buffer`, to give back once written).
 */
async function compute(t: PlannedTensor, method: MergeMethod, inputs: Inputs, buffers: SharedArena, note?: (message: string) => void): Promise<{ bytes: Uint8Array; buffer?: Uint8Array }> {
  if (t.action.kind === 'copy') {
    const info = inputs.infos[0];
    if (info.dtype === t.outputDType) return { bytes: inputs.data[0] };
    return { bytes: fromFloat32(toFloat32(inputs.data[0], info.dtype), t.outputDType) };
  }
  const models = inputs.data.map((d, i) => asFloat32(d, inputs.infos[i].dtype));
  const base = inputs.base ? asFloat32(inputs.base.data, inputs.base.info.dtype) : undefined;
  const input = { models, base, weights: t.weights, params: t.params, modelParams: t.modelParams, seed: t.seed, name: t.name, shape: t.shape, note };
  if (method.linearForm && t.strength === 1 && models[0].length >= POOL_MIN_ELEMENTS) {
    // Inputs in shared memory are read by the worker in place (others move to it: nothing here touches
    // them afterwards); the result lands in a shared buffer, which the output's hashers read in place.
    const { inputs: xs, coefs } = method.linearForm(input);
    // Bytes not in shared memory may move to the worker (detached here): their hashers take them first.
    if (inputs.data.some((d) => !isShared(d)) || (inputs.base && !isShared(inputs.base.data))) await Promise.all(inputs.hashed);
    const buffer = buffers.take(xs[0].length * 4);
    const into = new Float32Array(buffer.buffer, buffer.byteOffset, xs[0].length);
    let result = into; // the SIMD kernel, when everything lies in the arena
    if (!(await linearPool().combineInArena(buffers, xs, coefs, into))) {
      const { out } = await linearPool().combineLending(xs, coefs, into);
      // Filled in place when the worker could: its reply is then another view (another SharedArrayBuffer
      // object) of the same memory, so the bytes are taken from our own view, which the checks below know.
      result = isShared(out) ? into : out;
    }
    const bytes = fromFloat32(result, t.outputDType);
    if (bytes.buffer === buffer.buffer) return { bytes, buffer };
    buffers.give([buffer]);
    return { bytes };
  }
  // A kernel on this thread may work in place on its inputs: the parents' hashers finish with them first.
  await Promise.all(inputs.hashed);
  let out = method.kernel(input);
  if (t.strength !== 1) {
    // Layer strength: blend the method's result with the first model (0 = keep model 0).
    const first = models[0];
    const s = t.strength;
    if (out === first) out = Float32Array.from(out);
    for (let i = 0; i < out.length; i++) out[i] = first[i] + s * (out[i] - first[i]);
  }
  return { bytes: fromFloat32(out, t.outputDType) };
}

/** Output specs in the first model's order, with tied aliases beside their tensor. */
function outputSpecs(plan: MergePlan, first: ModelSource): { specs: TensorSpec[]; tied: string[][] } {
  const planned = new Map<string, PlannedTensor>();
  for (const t of plan.tensors) {
    planned.set(t.name, t);
    for (const a of t.aliases) planned.set(a, t);
  }
  const specs: TensorSpec[] = [];
  for (const info of first.tensors) {
    const t = planned.get(info.name);
    if (t) specs.push({ name: info.name, dtype: t.outputDType, shape: t.shape });
  }
  const tied = plan.tensors.filter((t) => t.aliases.length).map((t) => [t.name, ...t.aliases]);
  return { specs, tied };
}

/**
 * Runs a recipe: resolve, open, pre-flight (throws MergeBlockedError when anything blocks), hash the
 * parents, stream the merge into the output, record the run. Throws CancelledError on cancel.
 */
export async function runMerge(recipe: Recipe | ResolvedRecipe, ctx: JobContext, options: RunMergeOptions = {}): Promise<MergeResult> {
  const started = Date.now();
  const resolved = isResolved(recipe) ? recipe : await resolveRecipe(recipe, options.baseDir ?? process.cwd());
  let io = options.io ?? registryIO;
  const recipeYaml = recipeToYaml(resolved.recipe);
  // What a killed run left (its temp output beside ours, its run.json saying "running") goes first.
  const swept = describeSweep(await sweepLeftovers({ workspace: options.workspace, dirs: [path.dirname(resolved.output.path)] }));
  const run = options.workspace
    ? await RunFolder.create(options.workspace, resolved.recipe.name ?? `${resolved.method}-${path.parse(resolved.output.path).name}`, recipeYaml, {
      method: resolved.method,
      output: resolved.output.path,
      inputs: [...resolved.models.map((m) => m.path), ...(resolved.base ? [resolved.base] : [])],
    })
    : undefined;
  const log = (m: string) => { ctx.log(m); run?.log(m); };
  if (swept) log(swept);
  let neededBytes: number | undefined; // the output's size, once the pre-flight knows it
  if (resolved.recipe.align) {
    // The other models are aligned to the first in memory; the merge reads them (and writes) through `io`.
    try {
      const logged = { ...ctx, log };
      const a = await prepareAlignment(resolved.models, resolved.recipe.align, io, logged);
      io = a.io;
      if (run) await writeFileAtomic(path.join(run.dir, 'alignment.json'), `${JSON.stringify({ ...a.report, repair: a.repair }, null, 2)}\n`);
    } catch (e) {
      await run?.finish(ctx.signal.aborted ? 'cancelled' : 'failed', ctx.signal.aborted ? {} : { error: (e as Error).message }).catch(() => {});
      throw e;
    }
  }
  const parentFiles = [...resolved.models.map((m) => m.path), ...(resolved.base ? [resolved.base] : [])];
  // Parents whose hash the workspace remembers (unchanged since) are not hashed again; the others are.
  const cache = options.workspace ? FileHashCache.inWorkspace(options.workspace) : undefined;
  const looked: Lookup[] = cache ? await cache.lookupAll(parentFiles) : parentFiles.map(() => ({}));
  const known = looked.map((l) => l.hash);
  const unknownFiles = parentFiles.filter((_, i) => !known[i]);
  const stopHashing = new AbortController();
  const onCancel = () => stopHashing.abort();
  ctx.signal.addEventListener('abort', onCancel, { once: true });
  // A writer that takes its metadata at finish() lets the parents be hashed from the bytes the merge
  // reads (one pass over each file, see StreamingFileHash). Otherwise every parent byte is hashed in
  // worker threads, started now so it overlaps opening, planning and the first tensors' merging; the
  // output begins once the hashes are known, and merged tensors wait in a bounded queue.
  let lateMetadata = false;
  try { lateMetadata = io.writerFor(resolved.output.path).lateMetadata === true; } catch { /* the pre-flight says why */ }
  const hashing = lateMetadata ? undefined : hashFiles(unknownFiles, stopHashing.signal);
  hashing?.catch(() => {}); // awaited below, or abandoned when the pre-flight blocks
  const hashers: StreamHashers = [];
  const opened = await openSources(resolved, io);
  let session: TensorWriteSession | undefined;
  let sessionReady: Promise<TensorWriteSession> | undefined;
  let pendingWrite: Promise<void> | undefined;
  let arena: SharedArena | undefined;
  try {
    if (!opened.sources) throw new MergeBlockedError(opened.blocking);
    const sources = opened.sources;
    const { report, plan } = preflightWithPlan(resolved, sources, io);
    for (const w of report.warnings) log(`warning: ${w}`);
    if (report.blocking.length) throw new MergeBlockedError(report.blocking);
    neededBytes = report.output.bytes;

    const queueMax = options.hashOverlapBytes ?? QUEUE_MAX_BYTES;
    const parentSources = [...sources.models, ...(sources.base ? [sources.base] : [])];
    // Streamed: parents whose reader says where each tensor's bytes lie in the file; the others in workers.
    let apart: Promise<FileHash[]> | undefined;
    if (lateMetadata) {
      for (let i = 0; i < parentSources.length; i++) {
        hashers[i] = !known[i] && parentSources[i].tensors.every((t) => t.readSpan) ? await StreamingFileHash.open(parentFiles[i]) : undefined;
      }
      apart = hashFiles(parentFiles.filter((_, i) => !known[i] && !hashers[i]), stopHashing.signal);
      apart.catch(() => {}); // awaited at the end
    }
    const reused = parentFiles.length - unknownFiles.length;
    if (reused) log(`${reused} parent hash${reused === 1 ? '' : 'es'} reused from the workspace cache (file${reused === 1 ? '' : 's'} unchanged since hashed)`);
    if (unknownFiles.length) log(`hashing ${unknownFiles.length} parent file${unknownFiles.length === 1 ? '' : 's'}${lateMetadata ? ' from the bytes the merge reads' : queueMax > 0 ? ' while merging' : ' before writing'}`);
    ctx.progress({ done: 0, total: 1, message: 'hashing parents', unit: 'bytes' });
    if (ctx.signal.aborted) throw new CancelledError();
    const writer: FormatWriter = io.writerFor(resolved.output.path);
    const { specs, tied } = outputSpecs(plan, sources.models[0]);
    const graphFrom = writer.id === 'onnx' && sources.models[0].format === 'onnx' ? sources.models[0].path : undefined;
    let parents: ParentRecord[] = [];
    let hashed = false;
    const parentRecords = (hashes: FileHash[]): ParentRecord[] => parentFiles.map((p, i) => ({
      role: i < sources.models.length ? 'model' : 'base', path: p, name: path.basename(p), sha256: hashes[i].sha256, bytes: hashes[i].bytes,
    }));
    const metadataOf = (records: ParentRecord[]): Record<string, string> => ({
      [METADATA_KEYS.method]: resolved.method,
      [METADATA_KEYS.recipe]: recipeYaml,
      [METADATA_KEYS.parents]: JSON.stringify(records.map(({ role, name, sha256, bytes }) => ({ role, name, sha256, bytes }))),
    });
    const begin = async (metadata: Record<string, string>) => {
      try {
        return await writer.begin(resolved.output.path, specs, { metadata, tied, graphFrom });
      } catch (e) {
        throw writeError(resolved.output.path, e, neededBytes);
      }
    };
    if (lateMetadata) {
      // The output begins now with placeholder hashes of the same length; finish() gets the real ones.
      const sizes = await Promise.all(parentFiles.map(async (p) => (await stat(p)).size));
      hashed = true;
      sessionReady = begin(metadataOf(parentRecords(sizes.map((bytes) => ({ file: '', sha256: '0'.repeat(64), bytes })))));
    } else {
      sessionReady = hashing!.then(async (hashes) => {
        hashed = true;
        parents = parentRecords(parentFiles.map((p, i) => known[i] ?? (hashes.find((x) => x.file === p) as FileHash)));
        return begin(metadataOf(parents));
      });
    }
    sessionReady.catch(() => {}); // awaited below
    const queue: { name: string; bytes: Uint8Array }[] = [];
    let queuedBytes = 0;
    /** The output session, once the hashes are in, with the queued tensors written to it in order. */
    const openOutput = async (): Promise<TensorWriteSession> => {
      const s = await sessionReady!;
      session = s;
      if (queue.length) log(`${queue.length} tensor${queue.length === 1 ? '' : 's'} merged while the parents were hashed`);
      for (const q of queue.splice(0)) {
        if (ctx.signal.aborted) throw new CancelledError();
        await s.writeTensor(q.name, q.bytes).catch((e) => { throw writeError(resolved.output.path, e, neededBytes); });
      }
      queuedBytes = 0;
      return s;
    };

    const index = new TensorIndex(sources.models);
    const baseIndex = sources.base ? new TensorIndex([sources.base]) : undefined;
    const groups = new Map<string, string[]>();
    for (const g of sources.models[0].tied) for (const n of g) groups.set(n, g);
    const sizes = plan.tensors.map((t) => inputBytes(t, plan, sources, index, groups.get(t.name)));
    const total = sizes.reduce((a, b) => a + b, 0);
    let done = 0;
    log(`merging ${plan.tensors.length} tensors with ${plan.method.id} into ${resolved.output.path}`);
    // Where a documented difference from the reference (mergekit) applied to a tensor, the log says so:
    // the first NOTES_LOGGED in full, then a count, so a million-tensor model does not flood it.
    let notes = 0;
    const noteOf = (tensor: string, message: string) => {
      if (++notes <= NOTES_LOGGED) log(`note: ${tensor}: ${message}`);
    };

    // Shared memory the tensors are read into and merged into (kernels/arena.ts), reused; tensors up to the
    // read-ahead limit lie in the arena (the SIMD kernel reaches them there), bigger ones in plain shared
    // buffers, of which enough are kept for the tensors in flight (read ahead, merged, hashed, written).
    const buffers = new SharedArena(PREFETCH_MAX_BYTES, 5 * sizes.reduce((m, b) => (b <= PREFETCH_MAX_BYTES && b > m ? b : m), 0));
    arena = buffers;
    const start = (i: number) => readInputs(plan.tensors[i], plan, sources, index, baseIndex, groups.get(plan.tensors[i].name), hashers, buffers);
    /** Per tensor in flight: resolves once its buffers are back (hashed and written); failures surface here. */
    const releases: Promise<void>[] = [];
    // Reads under way ahead of the merge, in tensor order: small tensors up to READ_AHEAD_BYTES together
    // (so the disk always has work queued), a big one alone and only once the tensors before it are
    // released (so at most one big tensor's inputs are held beyond those in flight).
    const ahead = new Map<number, Promise<Inputs>>();
    let nextRead = 0;
    let aheadBytes = 0;
    const readAhead = (bigToo: boolean) => {
      while (nextRead < plan.tensors.length) {
        const size = sizes[nextRead];
        const ok = size <= PREFETCH_MAX_BYTES ? ahead.size === 0 || aheadBytes + size <= READ_AHEAD_BYTES : bigToo && ahead.size === 0;
        if (!ok) break;
        const read = start(nextRead);
        read.catch(() => {}); // surfaced when awaited
        ahead.set(nextRead++, read);
        aheadBytes += size;
      }
    };
    readAhead(true);
    for (let i = 0; i < plan.tensors.length; i++) {
      if (ctx.signal.aborted) throw new CancelledError();
      const t = plan.tensors[i];
      const t0 = performance.now();
      const inputs = await ahead.get(i)!;
      ahead.delete(i);
      aheadBytes -= sizes[i];
      readAhead(false);
      if (ctx.signal.aborted) throw new CancelledError();
      const { bytes, buffer } = await compute(t, plan.method, inputs, buffers, (m) => noteOf(t.name, m));
      if (!session && !hashed && queuedBytes + bytes.byteLength <= queueMax) {
        // Held until the output begins: its buffers are left to the garbage collector, not reused.
        queue.push({ name: t.name, bytes });
        queuedBytes += bytes.byteLength;
        const release = Promise.all(inputs.hashed).then(() => {});
        release.catch(() => {});
        releases.push(release);
      } else {
        const out = session ?? (await openOutput());
        if (pendingWrite) await pendingWrite;
        if (ctx.signal.aborted) throw new CancelledError();
        pendingWrite = out.writeTensor(t.name, bytes).catch((e) => { throw writeError(resolved.output.path, e, neededBytes); });
        pendingWrite.catch(() => {}); // surfaced when awaited
        // The input and output buffers are reused once the hashers and the write are done with them.
        const release = Promise.all([...inputs.hashed, pendingWrite]).then(() => buffers.give(buffer ? [...inputs.buffers, buffer] : inputs.buffers));
        release.catch(() => {});
        releases.push(release);
      }
      // Bounds the tensors in flight (so the memory held), and surfaces a hashing failure.
      if (releases.length > TENSORS_IN_FLIGHT) await releases.shift();
      readAhead(true);
      done += sizes[i];
      ctx.progress({ done, total, message: t.name, unit: 'bytes' });
      run?.metric('tensor', { tensor: t.name, action: t.action.kind, bytes: sizes[i], ms: Math.round((performance.now() - t0) * 100) / 100 });
    }
    if (notes > NOTES_LOGGED) log(`note: ${notes - NOTES_LOGGED} more tensor notes like the above (${notes} in all; see docs/recipes.md, "mergekit")`);
    if (pendingWrite) await pendingWrite;
    pendingWrite = undefined;
    await Promise.all(releases.splice(0));
    const out = session ?? (await openOutput());
    if (ctx.signal.aborted) throw new CancelledError();
    let finalMetadata: Record<string, string> | undefined;
    if (lateMetadata) {
      // The rest of each streamed parent (what the merge did not read: headers, the zip directory, skipped
      // tensors) is read and hashed now; the others were hashed in workers meanwhile.
      const hashedApart = await apart!;
      const byFile = new Map(hashedApart.map((h) => [h.file, h]));
      parents = parentRecords(await Promise.all(parentFiles.map((p, i) => known[i] ?? hashers[i]?.finish() ?? (byFile.get(p) as FileHash))));
      finalMetadata = metadataOf(parents);
      if (ctx.signal.aborted) throw new CancelledError();
    }
    let written: WrittenFile | void;
    try {
      written = await out.finish(finalMetadata && { metadata: finalMetadata });
    } catch (e) {
      throw writeError(resolved.output.path, e, neededBytes);
    }
    session = undefined;
    sessionReady = undefined;

    // The output's hash, from the writer when it hashed the bytes as it wrote them, else by reading it back.
    const outHash = written ? { file: resolved.output.path, ...written } : (await hashFiles([resolved.output.path]))[0];
    const result: MergeResult = {
      output: { path: resolved.output.path, bytes: outHash.bytes, sha256: outHash.sha256 },
      parents,
      method: resolved.method,
      counts: report.counts,
      warnings: report.warnings,
      seconds: (Date.now() - started) / 1000,
      runDir: run?.dir,
    };
    log(`wrote ${resolved.output.path} (${outHash.bytes} bytes, sha256 ${outHash.sha256}) in ${result.seconds.toFixed(2)} s`);
    await cache?.remember([
      ...parents.map((p, i) => ({ hash: { file: p.path, sha256: p.sha256, bytes: p.bytes }, before: looked[i].identity })),
      { hash: outHash, written: true }, // ours, hashed as written or read back at once
    ]);
    try {
      await run?.finish('succeeded', { output: result.output, parents, counts: result.counts, warnings: result.warnings });
    } catch (e) {
      // The output is complete and in place; only its record is lost: a warning, not a failed merge.
      result.warnings.push(`the run could not be recorded: ${(e as Error).message}`);
      result.runDir = undefined;
      ctx.log(`warning: ${result.warnings[result.warnings.length - 1]}`);
    }
    return result;
  } catch (e) {
    if (pendingWrite) await pendingWrite.catch(() => {});
    // A session begun in the background after the failure is aborted too: nothing is left at the output.
    const open = session ?? (sessionReady ? await sessionReady.catch(() => undefined) : undefined);
    if (open) await open.abort().catch(() => {});
    const cancelled = e instanceof CancelledError || ctx.signal.aborted;
    // A full disk is said again now that the partial output is gone, so the free space counts without it.
    const err = cancelled && !(e instanceof CancelledError) ? new CancelledError() : e instanceof WriteFailedError && e.diskFull ? e.restated() : e;
    if (run) {
      run.log(cancelled ? 'cancelled; the partial output was removed' : `failed: ${(err as Error).message}`);
      // A run folder that cannot be written must not hide the error the user needs to see.
      await run.finish(cancelled ? 'cancelled' : 'failed', cancelled ? {} : { error: (err as Error).message, blocking: (err as MergeBlockedError).blocking }).catch(() => {});
    }
    throw err;
  } finally {
    if (arena) linearPool().forget(arena);
    ctx.signal.removeEventListener('abort', onCancel);
    stopHashing.abort();
    await Promise.all(hashers.map((h) => h?.close()));
    await opened.close();
  }
}
