// The output file being written: begun once its metadata is known, tensors written in order one after
// another, and, for a writer that needs its metadata at begin() (ONNX), merged tensors held in a bounded
// queue while the parents are still being hashed. Write failures are said in words (disk full, …).
import type { FormatWriter, ModelSource, TensorSpec, TensorWriteSession, WrittenFile } from '../formats/types';
import { describeWriteError } from '../files/disk-errors';
import { CancelledError, type JobContext } from '../job-context';
import type { MergePlan, PlannedTensor } from './plan';

/** Where the output goes and what it holds. */
export interface OutputTarget {
  path: string;
  specs: TensorSpec[];
  tied: string[][];
  /** An ONNX model whose graph the output keeps. */
  graphFrom?: string;
  /** The output's size, from the pre-flight, for a disk-full message. */
  neededBytes?: number;
}

/**
 * The output of `plan` as `writer` writes it: tensors in the first model's order, with tied aliases beside
 * their tensor; an ONNX output from an ONNX first model keeps its graph.
 */
export function outputTarget(outputPath: string, plan: MergePlan, first: ModelSource, writer: FormatWriter, neededBytes: number): OutputTarget {
  const planned = new Map<string, PlannedTensor>();
  for (const t of plan.tensors) {
    planned.set(t.name, t);
    for (const a of t.aliases) planned.set(a, t);
  }
  const specs: TensorSpec[] = [];
  // A sliced output (a new layer stack) is written in plan order; any other in the first model's order.
  if (plan.stack) for (const t of plan.tensors) specs.push({ name: t.name, dtype: t.outputDType, shape: t.shape });
  else {
    for (const info of first.tensors) {
      const t = planned.get(info.name);
      if (t) specs.push({ name: info.name, dtype: t.outputDType, shape: t.shape });
    }
  }
  const tied = plan.tensors.filter((t) => t.aliases.length).map((t) => [t.name, ...t.aliases]);
  const graphFrom = writer.id === 'onnx' && first.format === 'onnx' ? first.path : undefined;
  return { path: outputPath, specs, tied, graphFrom, neededBytes };
}

export class MergeOutput {
  private session?: TensorWriteSession;
  private sessionReady?: Promise<TensorWriteSession>;
  /** Once known, tensors are no longer queued: they wait for the session instead. */
  private metadataKnown = false;
  private readonly queue: { name: string; bytes: Uint8Array }[] = [];
  private queuedBytes = 0;
  private pendingWrite?: Promise<void>;

  constructor(
    private readonly writer: FormatWriter,
    private readonly target: OutputTarget,
    /** Bytes of merged tensors held until the output begins (0: none). */
    private readonly queueMax: number,
    private readonly ctx: JobContext,
    private readonly log: (message: string) => void,
  ) {}

  /** A disk-full or other write failure, said in words: which file, how much space it needed, what to do. */
  private writeError(e: unknown): Error {
    return describeWriteError(this.target.path, e, this.target.neededBytes);
  }

  private async beginSession(metadata: Record<string, string>): Promise<TensorWriteSession> {
    const { path, specs, tied, graphFrom } = this.target;
    try {
      return await this.writer.begin(path, specs, { metadata, tied, graphFrom });
    } catch (e) {
      throw this.writeError(e);
    }
  }

  /** Begins the output now, with metadata known already. */
  beginNow(metadata: Record<string, string>): void {
    this.metadataKnown = true;
    this.sessionReady = this.beginSession(metadata);
    this.sessionReady.catch(() => {}); // awaited by open()
  }

  /** Begins the output once `ready` resolves, with the metadata made of its value. */
  beginWhen<T>(ready: Promise<T>, metadataOf: (value: T) => Record<string, string>): void {
    this.sessionReady = ready.then(async (value) => {
      this.metadataKnown = true;
      return this.beginSession(metadataOf(value));
    });
    this.sessionReady.catch(() => {}); // awaited by open()
  }

  /** The output session, once begun, with the queued tensors written to it in order. */
  async open(): Promise<TensorWriteSession> {
    if (this.session) return this.session;
    const s = await this.sessionReady!;
    this.session = s;
    if (this.queue.length) this.log(`${this.queue.length} tensor${this.queue.length === 1 ? '' : 's'} merged while the parents were hashed`);
    for (const q of this.queue.splice(0)) {
      if (this.ctx.signal.aborted) throw new CancelledError();
      await s.writeTensor(q.name, q.bytes).catch((e) => { throw this.writeError(e); });
    }
    this.queuedBytes = 0;
    return s;
  }

  /**
   * Writes a tensor after those before it: returns the write, under way (wrapped, so it is not awaited
   * here). While the metadata is unknown and the queue has room, the tensor is held instead: returns
   * undefined (its bytes must not be reused).
   */
  async write(name: string, bytes: Uint8Array): Promise<{ written: Promise<void> } | undefined> {
    if (!this.session && !this.metadataKnown && this.queuedBytes + bytes.byteLength <= this.queueMax) {
      this.queue.push({ name, bytes });
      this.queuedBytes += bytes.byteLength;
      return undefined;
    }
    const out = this.session ?? (await this.open());
    if (this.pendingWrite) await this.pendingWrite;
    if (this.ctx.signal.aborted) throw new CancelledError();
    this.pendingWrite = out.writeTensor(name, bytes).catch((e) => { throw this.writeError(e); });
    this.pendingWrite.catch(() => {}); // surfaced when awaited
    return { written: this.pendingWrite };
  }

  /** Waits for the last write; its failure surfaces here. */
  async flush(): Promise<void> {
    if (this.pendingWrite) await this.pendingWrite;
    this.pendingWrite = undefined;
  }

  /** Completes the file (begun by open()), with the final metadata for a writer that takes it at finish(). */
  async finish(metadata?: Record<string, string>): Promise<WrittenFile | void> {
    let written: WrittenFile | void;
    try {
      written = await this.session!.finish(metadata && { metadata });
    } catch (e) {
      throw this.writeError(e);
    }
    this.session = undefined;
    this.sessionReady = undefined;
    return written;
  }

  /** After a failure or cancel: nothing is left at the output, a session begun in the background included. */
  async abort(): Promise<void> {
    if (this.pendingWrite) await this.pendingWrite.catch(() => {});
    const open = this.session ?? (this.sessionReady ? await this.sessionReady.catch(() => undefined) : undefined);
    if (open) await open.abort().catch(() => {});
  }
}
