// The parents' SHA-256 for the output's provenance, found the cheapest way there is: from the workspace's
// cache when a file is unchanged since hashed, else from the bytes the merge reads (StreamingFileHash, for
// a writer that takes its metadata at finish()), else in worker threads beside the merge.
import type { ModelSource } from '../formats/types';
import type { JobContext } from '../job-context';
import { FileHashCache, type Lookup } from './hash-cache';
import { hashFiles, StreamingFileHash, type FileHash } from './hashing';
import type { ParentRecord } from './provenance';
import type { StreamHashers } from './tensor-reads';

export class ParentHashes {
  /** Streamed mode: parents hashed from the bytes the merge reads, by index (undefined: hashed apart). */
  readonly hashers: StreamHashers = [];
  /** Hashed mode: the parents the cache does not know, hashed in workers from the start. */
  private hashing?: Promise<FileHash[]>;
  /** Streamed mode: the parents whose reader cannot say where bytes lie, hashed in workers meanwhile. */
  private apart?: Promise<FileHash[]>;
  private readonly stopHashing = new AbortController();
  private readonly onCancel = () => this.stopHashing.abort();

  private constructor(
    /** Models first, then the base. */
    readonly files: readonly string[],
    private readonly cache: FileHashCache | undefined,
    private readonly looked: readonly Lookup[],
    /** The output takes its metadata at finish(): parents are hashed from the bytes the merge reads. */
    private readonly lateMetadata: boolean,
    private readonly ctx: JobContext,
  ) {}

  /**
   * Looks the parents up in the workspace's cache (none without a workspace). Without `lateMetadata`, the
   * others are hashed in worker threads from now on, so hashing overlaps opening, planning and merging.
   */
  static async start(files: readonly string[], workspace: string | undefined, lateMetadata: boolean, ctx: JobContext): Promise<ParentHashes> {
    const cache = workspace ? FileHashCache.inWorkspace(workspace) : undefined;
    const looked: Lookup[] = cache ? await cache.lookupAll([...files]) : files.map(() => ({}));
    const parents = new ParentHashes(files, cache, looked, lateMetadata, ctx);
    ctx.signal.addEventListener('abort', parents.onCancel, { once: true });
    if (!lateMetadata) {
      parents.hashing = hashFiles(parents.unknownFiles(), parents.stopHashing.signal);
      parents.hashing.catch(() => {}); // awaited by hashedFirst(), or abandoned when the pre-flight blocks
    }
    return parents;
  }

  private known(i: number): FileHash | undefined {
    return this.looked[i].hash;
  }

  private unknownFiles(): string[] {
    return this.files.filter((_, i) => !this.known(i));
  }

  /**
   * Streamed mode: a hasher for each parent its reader can stream (every tensor says where its bytes lie);
   * the other unknown parents are hashed in workers meanwhile. `sources` are in the order of `files`.
   */
  async streamFrom(sources: readonly ModelSource[]): Promise<StreamHashers> {
    if (!this.lateMetadata) return this.hashers;
    for (let i = 0; i < sources.length; i++) {
      this.hashers[i] = !this.known(i) && sources[i].tensors.every((t) => t.readSpan) ? await StreamingFileHash.open(this.files[i]) : undefined;
    }
    this.apart = hashFiles(this.files.filter((_, i) => !this.known(i) && !this.hashers[i]), this.stopHashing.signal);
    this.apart.catch(() => {}); // awaited by finishStreamed()
    return this.hashers;
  }

  /** Says which hashes were reused, and how the others are found (`overlap`: merged tensors wait meanwhile). */
  logPlan(log: (message: string) => void, overlap: boolean): void {
    const unknown = this.unknownFiles().length;
    const reused = this.files.length - unknown;
    if (reused) log(`${reused} parent hash${reused === 1 ? '' : 'es'} reused from the workspace cache (file${reused === 1 ? '' : 's'} unchanged since hashed)`);
    if (unknown) log(`hashing ${unknown} parent file${unknown === 1 ? '' : 's'}${this.lateMetadata ? ' from the bytes the merge reads' : overlap ? ' while merging' : ' before writing'}`);
  }

  /** Hashed mode: every parent's hash, by index, once the workers are done. */
  async hashedFirst(): Promise<FileHash[]> {
    const hashes = await this.hashing!;
    return this.files.map((p, i) => this.known(i) ?? (hashes.find((x) => x.file === p) as FileHash));
  }

  /**
   * Streamed mode, once the merge has read everything: the rest of each streamed parent (headers, the zip
   * directory, skipped tensors) is read and hashed now; the others come from the workers.
   */
  async finishStreamed(): Promise<FileHash[]> {
    const hashedApart = await this.apart!;
    const byFile = new Map(hashedApart.map((h) => [h.file, h]));
    return Promise.all(this.files.map((p, i) => this.known(i) ?? this.hashers[i]?.finish() ?? (byFile.get(p) as FileHash)));
  }

  /** Keeps the parents' and the output's hashes in the workspace's cache (the output's: ours, just written). */
  async remember(parents: readonly ParentRecord[], output: FileHash): Promise<void> {
    await this.cache?.remember([
      ...parents.map((p, i) => ({ hash: { file: p.path, sha256: p.sha256, bytes: p.bytes }, before: this.looked[i].identity })),
      { hash: output, written: true }, // ours, hashed as written or read back at once
    ]);
  }

  /** Stops whatever hashing is still under way and closes the streamed parents' files. */
  async close(): Promise<void> {
    this.ctx.signal.removeEventListener('abort', this.onCancel);
    this.stopHashing.abort();
    await Promise.all(this.hashers.map((h) => h?.close()));
  }
}
