// An output file written sequentially to a temp name beside its target and renamed into place on
// commit, so a reader never sees half a model at the real path (DESIGN.md: writes are atomic).
import { promises as fs } from 'node:fs';
import { describeWriteError } from '../files/disk-errors';
import { tempPathFor } from '../files/temp-files';
import { OffloadedSha256 } from './offload-hash';

/** Small writes are gathered into one buffer of this size before they reach the disk. */
const COALESCE_BYTES = 1 << 20;

export class AtomicFile {
  /** Bytes written so far (the position of the next write). */
  position = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private closed = false;
  /**
   * SHA-256 of the bytes in the order written (so of the file, unless a patch() rewrote some), kept in a
   * worker thread: bytes in shared memory are hashed there without a copy while they are written here.
   */
  private hash: OffloadedSha256 | undefined;

  private constructor(
    readonly target: string,
    readonly tempPath: string,
    private readonly handle: fs.FileHandle,
    hash: boolean,
  ) {
    if (hash) this.hash = new OffloadedSha256();
  }

  /** `hash`: compute the file's SHA-256 from the bytes as they are written (commit() returns it). */
  static async create(target: string, options: { hash?: boolean } = {}): Promise<AtomicFile> {
    const temp = tempPathFor(target); // its name says whose it is, so a crash's leftover can be swept
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(temp, 'wx');
    } catch (e) {
      throw describeWriteError(target, e); // names the target and its folder, not our hidden temp name
    }
    return new AtomicFile(target, temp, handle, options.hash === true);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`write after close of ${this.target}`);
    this.position += bytes.length;
    // Posted in write order, hashed in a worker meanwhile; a failure there shows at commit(). This returns
    // (the caller may reuse its bytes) once the hash is done with them: shared memory once hashed in place,
    // other bytes once copied, which waits while the worker lags (the copy budget, offload-hash.ts).
    const hashed = this.hash?.update(bytes);
    hashed?.catch(() => {});
    try {
      await this.append(bytes);
    } finally {
      if (hashed) await hashed.catch(() => {});
    }
  }

  private async append(bytes: Uint8Array): Promise<void> {
    if (bytes.length >= COALESCE_BYTES) {
      await this.flush();
      await this.writeAll(bytes);
      return;
    }
    this.pending.push(bytes.slice()); // callers may reuse their buffer
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= COALESCE_BYTES) await this.flush();
  }

  /** Overwrites bytes already written at `position` (e.g. a header completed at the end); the size stays. */
  async patch(position: number, bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`write after close of ${this.target}`);
    if (position < 0 || position + bytes.length > this.position) throw new Error(`patch of ${this.target} past what was written`);
    this.hash?.drop();
    this.hash = undefined; // bytes already hashed changed
    await this.flush();
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, position + done);
      done += bytesWritten;
    }
  }

  /** Flush, close and rename over the target; with hashing asked and no patch since, the file's SHA-256 and size. */
  async commit(): Promise<{ sha256: string; bytes: number } | undefined> {
    await this.flush();
    this.closed = true;
    await this.handle.close();
    await fs.rename(this.tempPath, this.target);
    return this.hash ? { sha256: await this.hash.digest(), bytes: this.position } : undefined;
  }

  /** Close and remove the temp file; the target is left untouched. Safe to call twice. */
  async discard(): Promise<void> {
    this.hash?.drop();
    this.hash = undefined;
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => {});
    }
    await fs.rm(this.tempPath, { force: true });
  }

  private async flush(): Promise<void> {
    if (!this.pendingBytes) return;
    const joined = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.writeAll(joined);
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done);
      done += bytesWritten;
    }
  }
}
