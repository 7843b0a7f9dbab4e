// An output file written sequentially to a temp name beside its target and renamed into place on
// commit, so a reader never sees half a model at the real path (DESIGN.md: writes are atomic).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Small writes are gathered into one buffer of this size before they reach the disk. */
const COALESCE_BYTES = 1 << 20;

export class AtomicFile {
  /** Bytes written so far (the position of the next write). */
  position = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private closed = false;

  private constructor(
    readonly target: string,
    readonly tempPath: string,
    private readonly handle: fs.FileHandle,
  ) {}

  static async create(target: string): Promise<AtomicFile> {
    const dir = path.dirname(path.resolve(target));
    const temp = path.join(dir, `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    const handle = await fs.open(temp, 'wx');
    return new AtomicFile(target, temp, handle);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`write after close of ${this.target}`);
    this.position += bytes.length;
    if (bytes.length >= COALESCE_BYTES) {
      await this.flush();
      await this.writeAll(bytes);
      return;
    }
    this.pending.push(bytes.slice()); // callers may reuse their buffer
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= COALESCE_BYTES) await this.flush();
  }

  /** Flush, close and rename over the target. */
  async commit(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.handle.close();
    await fs.rename(this.tempPath, this.target);
  }

  /** Close and remove the temp file; the target is left untouched. Safe to call twice. */
  async discard(): Promise<void> {
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
