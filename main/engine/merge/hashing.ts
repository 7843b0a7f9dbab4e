// SHA-256 of parent files. StreamingFileHash (below) hashes a file from the bytes the merge reads anyway.
// hashFiles hashes whole files in a worker thread, for a parent whose reader cannot say where its bytes lie
// or an output that needs its metadata before the first tensor; it runs beside the main thread's work.
// The worker is plain JS passed inline, so it needs no build step and runs the same under tsx, vitest,
// the CLI and Electron's utility process.
import { open as openFile, stat, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../job-context';
import { OffloadedSha256 } from '../formats/offload-hash';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const buf = Buffer.allocUnsafe(8 << 20);
for (const file of workerData.files) {
  try {
    const hash = crypto.createHash('sha256');
    const fd = fs.openSync(file, 'r');
    let bytes = 0;
    try {
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        hash.update(buf.subarray(0, n));
        bytes += n;
      }
    } finally { fs.closeSync(fd); }
    parentPort.postMessage({ file, sha256: hash.digest('hex'), bytes });
  } catch (e) {
    parentPort.postMessage({ file, error: String(e && e.message || e) });
  }
}
`;

export interface FileHash {
  file: string;
  sha256: string;
  bytes: number;
}

/**
 * Hashes every byte of each file, up to `concurrency` files at once (one worker each; default: one per
 * core, at most one per file). Rejects with CancelledError when `signal` aborts (the workers are stopped).
 */
export async function hashFiles(files: string[], signal?: AbortSignal, concurrency = Math.max(1, availableParallelism())): Promise<FileHash[]> {
  if (files.length === 0) return [];
  const results = new Map<string, FileHash>();
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < files.length && !failed) {
      const file = files[next++];
      try {
        for (const h of await hashInWorker([file], signal)) results.set(h.file, h);
      } catch (e) {
        failed = true; // the other lanes stop after their current file
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, lane));
  return files.map((f) => results.get(f)!);
}

function hashInWorker(files: string[], signal?: AbortSignal): Promise<FileHash[]> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new CancelledError()); return; }
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { files } });
    const results: FileHash[] = [];
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (err) reject(err); else resolve(results);
    };
    const onAbort = () => done(new CancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: FileHash & { error?: string }) => {
      if (m.error) { done(new Error(`cannot hash ${m.file}: ${m.error}`)); return; }
      results.push({ file: m.file, sha256: m.sha256, bytes: m.bytes });
      if (results.length === files.length) done();
    });
    worker.on('error', (e) => done(e));
    worker.on('exit', (code) => { if (!settled) done(new Error(`hashing worker stopped early (exit code ${code})`)); });
  });
}

/** Bytes read per gap read while catching up (headers, tensors the merge did not read, the tail). */
const GAP_CHUNK = 8 << 20;

/**
 * SHA-256 of one file computed from the bytes a merge reads anyway: feed(offset, bytes) with each span as
 * it is read; whatever lies between the last fed byte and the next span (zip headers, a tensor the merge
 * skipped) is read from the file here, and finish() reads the rest to the end. Spans at or before what was
 * already hashed are skipped, so any order of reads gives the hash of the whole file, in one pass when the
 * reads follow the file's order. The hash itself runs in a worker thread (formats/offload-hash.ts): bytes
 * in shared memory (a SharedArrayBuffer) are hashed there without a copy, others are copied into messages
 * within a byte budget (so neither the fed spans nor the gap reads queue up without bound). (Lending each tensor's ArrayBuffer to a worker measured no faster on 2 shared cores, as the
 * transfers cost as much main-thread time as the hashing they took away; shared memory needs none.)
 */
export class StreamingFileHash {
  private readonly hash = new OffloadedSha256();
  private cursor = 0;
  private digested = false;
  /** Bytes this read from the file itself (gaps and the tail), not fed: for tests and diagnostics. */
  gapBytes = 0;
  private fh: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();

  private constructor(readonly file: string, readonly size: number) {}

  static async open(file: string): Promise<StreamingFileHash> {
    const size = (await stat(file)).size;
    return new StreamingFileHash(file, size);
  }

  /**
   * Hashes `data`, the file's bytes from `offset`; resolves with `data` once they are in (then it may be
   * changed or reused: bytes in shared memory are read by the hashing worker until then).
   */
  feed(offset: number, data: Uint8Array): Promise<Uint8Array> {
    return this.feedWhenRead(Promise.resolve({ offset, data })).then(() => data);
  }

  /**
   * Like feed, for a read still under way: its place in the order is taken now, so spans read in file
   * order are hashed in that order whichever read finishes first (none is read twice to fill a gap).
   * Resolves once the hash is done with the bytes: hashed (shared memory) or copied (other bytes); at once
   * when the read gives undefined or fails.
   */
  feedWhenRead(read: Promise<{ offset: number; data: Uint8Array } | undefined>): Promise<unknown> {
    // The chain orders the gap reads and the posts; the worker hashes what is posted in that order.
    const posted = this.chain.then(async () => {
      const span = await read.catch(() => undefined); // the reader reports its own failure
      if (!span) return { hashed: Promise.resolve() };
      const { offset, data } = span;
      if (offset > this.cursor) await this.catchUp(Math.min(offset, this.size));
      const end = offset + data.byteLength;
      if (end <= this.cursor || offset > this.cursor) return { hashed: Promise.resolve() };
      const hashed = this.hash.update(data.subarray(this.cursor - offset));
      hashed.catch(() => {}); // awaited by the caller
      this.cursor = end;
      return { hashed };
    });
    this.chain = posted.then(() => {}, () => {});
    return posted.then(({ hashed }) => hashed);
  }

  /** Reads and hashes what was not fed, to the end of the file, and closes it. */
  async finish(): Promise<FileHash> {
    await this.chain;
    try {
      await this.catchUp(this.size);
      const st = await this.handle().then((h) => h.stat());
      if (st.size !== this.size) throw new Error(`${this.file} changed size while it was read (${this.size} → ${st.size} bytes)`);
    } catch (e) {
      await this.close();
      throw e;
    }
    this.digested = true;
    await this.close();
    return { file: this.file, sha256: await this.hash.digest(), bytes: this.size };
  }

  /** Closes the file if this opened it; safe to call twice. */
  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (!this.digested) this.hash.drop();
    await fh?.close().catch(() => {});
  }

  private async handle(): Promise<FileHandle> {
    this.fh ??= await openFile(this.file, 'r');
    return this.fh;
  }

  private async catchUp(to: number): Promise<void> {
    if (this.cursor >= to) return;
    const fh = await this.handle();
    const buf = Buffer.allocUnsafeSlow(Math.min(GAP_CHUNK, to - this.cursor));
    while (this.cursor < to) {
      const want = Math.min(buf.length, to - this.cursor);
      const { bytesRead } = await fh.read(buf, 0, want, this.cursor);
      if (bytesRead === 0) throw new Error(`cannot hash ${this.file}: it ends at byte ${this.cursor}, before ${to} (truncated while open?)`);
      // Copied into messages before the buffer is read into again: within the workers' copy budget, so
      // the reads wait while the hashing lags (a failure shows at digest).
      await this.hash.update(buf.subarray(0, bytesRead)).catch(() => {});
      this.cursor += bytesRead;
      this.gapBytes += bytesRead;
    }
  }
}
