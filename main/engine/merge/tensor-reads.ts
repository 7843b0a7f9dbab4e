// Reading what each planned tensor needs from the parents: positioned reads into shared memory (the
// arena), checked for length, hashed on the way when the parent is hashed from the bytes the merge reads,
// and read ahead of the merge so the disk always has work queued.
import type { TensorInfo } from '../formats/types';
import { DTYPE_SIZE, numElements } from '../tensor/dtypes';
import type { StreamingFileHash } from './hashing';
import { SharedArena } from './kernels/arena';
import { TensorIndex, type MergePlan, type PlannedTensor, type PlanSources } from './plan';

/** A tensor whose inputs are bigger than this is read alone (not ahead of the merge); smaller ones lie in the arena. */
export const PREFETCH_MAX_BYTES = 64 << 20;
/** Inputs read ahead of the merge, at most (at least one tensor's). */
export const READ_AHEAD_BYTES = 128 << 20;

/** Parents hashed from the bytes the merge streams, by index (models, then the base); undefined: hashed apart. */
export type StreamHashers = (StreamingFileHash | undefined)[];

/** Everything one planned tensor reads. */
export interface Inputs {
  infos: TensorInfo[];
  data: Uint8Array[];
  base?: { info: TensorInfo; data: Uint8Array };
  /** Resolve once the hashers are done with the bytes read. */
  hashed: Promise<unknown>[];
  /** Shared buffers the bytes lie in, given back once nothing reads them any more. */
  buffers: Uint8Array[];
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

type TensorInput = { model: number; name: string };

/** The inputs a planned tensor reads (the base apart): model index (−1: the base) and name; a slice's are its own. */
function inputsOf(t: PlannedTensor, nModels: number): TensorInput[] {
  const all = t.inputs ?? Array.from({ length: nModels }, (_, model) => ({ model, name: t.name }));
  return t.action.kind === 'copy' ? [all[t.action.from]] : all;
}

/** Bytes each planned tensor reads from the parents (the base's counted as one more model's), by index. */
export function plannedInputBytes(plan: MergePlan, sources: PlanSources, index = new TensorIndex(sources.models), groups = tiedGroupsOf(sources), baseIndex = sources.base ? new TensorIndex([sources.base]) : undefined): number[] {
  const readsBase = Boolean(sources.base && (plan.method.needsBase || plan.method.acceptsBase));
  return plan.tensors.map((t: PlannedTensor) => {
    const group = groups.get(t.name);
    const wanted = inputsOf(t, sources.models.length);
    let b = 0;
    for (const input of wanted) b += (input.model < 0 ? baseIndex?.get(0, input.name, group) : index.get(input.model, input.name, group))?.byteLength ?? 0;
    if (t.action.kind === 'merge' && readsBase) b += b / wanted.length;
    return b;
  });
}

function tiedGroupsOf(sources: PlanSources): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const g of sources.models[0].tied) for (const n of g) groups.set(n, g);
  return groups;
}

/** The plan's tensors' inputs, read by index, into an arena sized for the tensors in flight. */
export class TensorReader {
  /** Bytes each planned tensor reads, by index. */
  readonly sizes: number[];
  /**
   * Shared memory the tensors are read into and merged into (kernels/arena.ts), reused; tensors up to the
   * read-ahead limit lie in the arena (the SIMD kernel reaches them there), bigger ones in plain shared
   * buffers, of which enough are kept for the tensors in flight (read ahead, merged, hashed, written).
   */
  readonly arena: SharedArena;
  private readonly index: TensorIndex;
  private readonly baseIndex: TensorIndex | undefined;
  /** Tied groups of the first model, by name: a lookup falls back to another name of the group. */
  private readonly groups: Map<string, string[]>;
  /** The method takes a base: merged tensors read it too (when the recipe has one). */
  private readonly readsBase: boolean;

  constructor(private readonly plan: MergePlan, private readonly sources: PlanSources, private readonly hashers: StreamHashers) {
    this.index = new TensorIndex(sources.models);
    this.baseIndex = sources.base ? new TensorIndex([sources.base]) : undefined;
    this.readsBase = Boolean(plan.method.needsBase || plan.method.acceptsBase);
    this.groups = tiedGroupsOf(sources);
    this.sizes = plannedInputBytes(plan, sources, this.index, this.groups, this.baseIndex);
    this.arena = new SharedArena(PREFETCH_MAX_BYTES, 5 * this.sizes.reduce((m, b) => (b <= PREFETCH_MAX_BYTES && b > m ? b : m), 0));
  }

  /** The inputs a planned tensor reads (the base apart): model index (−1: the base) and name. */
  private wanted(t: PlannedTensor): TensorInput[] {
    return inputsOf(t, this.sources.models.length);
  }

  private infoOf(input: TensorInput, group: string[] | undefined): TensorInfo | undefined {
    return input.model < 0 ? this.baseIndex?.get(0, input.name, group) : this.index.get(input.model, input.name, group);
  }

  /** Everything planned tensor `i` reads, gathered by positioned reads in parallel. */
  read(i: number): Promise<Inputs> {
    const t = this.plan.tensors[i];
    const group = this.groups.get(t.name);
    const { models, base } = this.sources;
    const wanted = this.wanted(t);
    const infos = wanted.map((input) => this.infoOf(input, group)!);
    const baseInfo = t.action.kind === 'merge' && this.readsBase && this.baseIndex ? this.baseIndex.get(0, t.baseName ?? t.name, group) : undefined;
    // The hasher of a model is at its index; the base's after the models'.
    const fileOf = (m: number) => (m < 0 ? { path: base!.path, hasher: this.hashers[models.length] } : { path: models[m].path, hasher: this.hashers[m] });
    return Promise.all([
      Promise.all(infos.map((info, k) => readChecked(info, fileOf(wanted[k].model).path, fileOf(wanted[k].model).hasher, this.arena))),
      baseInfo ? readChecked(baseInfo, base!.path, this.hashers[models.length], this.arena) : Promise.resolve(undefined),
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
}

/**
 * Reads under way ahead of the merge, in tensor order: small tensors up to READ_AHEAD_BYTES together (so
 * the disk always has work queued), a big one alone and only once the tensors before it are released (so
 * at most one big tensor's inputs are held beyond those in flight).
 */
export class ReadAhead {
  private readonly ahead = new Map<number, Promise<Inputs>>();
  private next = 0;
  private bytes = 0;

  constructor(private readonly reader: TensorReader) {}

  /** Starts the reads that fit; a big tensor's only with `bigToo` (once the tensors before it are released). */
  fill(bigToo: boolean): void {
    const { sizes } = this.reader;
    while (this.next < sizes.length) {
      const size = sizes[this.next];
      const ok = size <= PREFETCH_MAX_BYTES ? this.ahead.size === 0 || this.bytes + size <= READ_AHEAD_BYTES : bigToo && this.ahead.size === 0;
      if (!ok) break;
      const read = this.reader.read(this.next);
      read.catch(() => {}); // surfaced when awaited
      this.ahead.set(this.next++, read);
      this.bytes += size;
    }
  }

  /** Tensor `i`'s inputs (its read was started by fill), then the small reads that now fit are started. */
  async take(i: number): Promise<Inputs> {
    const inputs = await this.ahead.get(i)!;
    this.ahead.delete(i);
    this.bytes -= this.reader.sizes[i];
    this.fill(false);
    return inputs;
  }
}
