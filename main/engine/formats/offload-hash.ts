// SHA-256 and CRC-32 in worker threads, fed from shared memory without copies. A byte array over a
// SharedArrayBuffer is posted as a view (the worker reads the same memory); any other bytes are copied
// into messages, within a byte budget of copies not yet hashed (so a worker that lags cannot make the
// queue grow without bound: the caller waits for room). The worker is plain JS passed inline, so it
// needs no build step and runs the same under tsx, vitest, the CLI and Electron's utility process.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const hashes = new Map();
parentPort.on('message', (m) => {
  try {
    if (m.op === 'crc') { parentPort.postMessage({ id: m.id, value: zlib.crc32(m.data) }); return; }
    if (m.op === 'update') {
      let h = hashes.get(m.hid);
      if (!h) { h = crypto.createHash('sha256'); hashes.set(m.hid, h); }
      h.update(m.data);
      parentPort.postMessage({ id: m.id });
      return;
    }
    if (m.op === 'digest') {
      const h = hashes.get(m.hid) || crypto.createHash('sha256');
      hashes.delete(m.hid);
      parentPort.postMessage({ id: m.id, value: h.digest('hex') });
      return;
    }
    if (m.op === 'drop') { hashes.delete(m.hid); parentPort.postMessage({ id: m.id }); return; }
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.message) || e) });
  }
});
`;

/** Below this many bytes a CRC is computed on the calling thread: the message costs more than it saves. */
const CRC_OFFLOAD_MIN_BYTES = 1 << 20;
/** Copied bytes posted to the hashing workers and not yet hashed, at most (all hashes together). */
export const COPY_BUDGET_BYTES = 32 << 20;
/** Copies go in pieces of at most this, so the worker starts on a big update before all of it is copied. */
const COPY_PIECE_BYTES = 8 << 20;

/**
 * Bytes counted against a limit: take() resolves once they fit (in the order asked), give() frees them.
 * Every take must be at most the limit.
 */
class ByteBudget {
  private used = 0;
  private peak = 0;
  private readonly waiting: { bytes: number; go: () => void }[] = [];

  constructor(readonly limit: number) {}

  take(bytes: number): Promise<void> {
    if (this.waiting.length === 0 && this.used + bytes <= this.limit) {
      this.use(bytes);
      return Promise.resolve();
    }
    return new Promise((go) => this.waiting.push({ bytes, go }));
  }

  give(bytes: number): void {
    this.used -= bytes;
    while (this.waiting.length && this.used + this.waiting[0].bytes <= this.limit) {
      const next = this.waiting.shift()!;
      this.use(next.bytes);
      next.go();
    }
  }

  stats(resetPeak: boolean): { budgetBytes: number; inFlightBytes: number; peakBytes: number } {
    const out = { budgetBytes: this.limit, inFlightBytes: this.used, peakBytes: this.peak };
    if (resetPeak) this.peak = this.used;
    return out;
  }

  private use(bytes: number): void {
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
  }
}

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void }

interface Lane { worker: Worker; pending: Set<number>; dead?: Error }

class OffloadPool {
  readonly copies = new ByteBudget(COPY_BUDGET_BYTES);
  private readonly lanes: Lane[] = [];
  private readonly jobs = new Map<number, Pending>();
  private nextId = 0;
  private nextLane = 0;

  constructor(private readonly size: number) {}

  /** A lane for a new hash (round-robin, so several files' hashes spread over the workers). */
  laneForHash(): Lane {
    const lane = this.lanes.length < this.size ? this.spawn() : this.lanes[this.nextLane++ % this.lanes.length];
    return lane;
  }

  /** The lane with the fewest jobs out (for one-off CRCs). */
  leastBusy(): Lane {
    if (this.lanes.length < this.size && this.lanes.every((l) => l.pending.size > 0)) return this.spawn();
    let best = this.lanes[0];
    for (const l of this.lanes) if (l.pending.size < best.pending.size) best = l;
    return best ?? this.spawn();
  }

  call<T>(lane: Lane, message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (lane.dead) return Promise.reject(lane.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.jobs.set(id, { resolve: resolve as (v: unknown) => void, reject });
      lane.pending.add(id);
      lane.worker.ref(); // keep the process alive while a job is out
      lane.worker.postMessage({ ...message, id }, transfer);
    });
  }

  private spawn(): Lane {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    const lane: Lane = { worker, pending: new Set() };
    worker.on('message', (m: { id: number; value?: unknown; error?: string }) => {
      const job = this.jobs.get(m.id);
      this.jobs.delete(m.id);
      lane.pending.delete(m.id);
      if (lane.pending.size === 0) worker.unref();
      if (!job) return;
      if (m.error !== undefined) job.reject(new Error(m.error)); else job.resolve(m.value);
    });
    const fail = (e: Error) => {
      if (lane.dead) return;
      lane.dead = e;
      const i = this.lanes.indexOf(lane);
      if (i >= 0) this.lanes.splice(i, 1);
      for (const id of lane.pending) { this.jobs.get(id)?.reject(e); this.jobs.delete(id); }
      lane.pending.clear();
    };
    worker.on('error', (e) => fail(e));
    worker.on('exit', (code) => fail(new Error(`hashing worker exited (code ${code})`)));
    this.lanes.push(lane);
    return lane;
  }
}

let pool: OffloadPool | undefined;
function offloadPool(): OffloadPool {
  pool ??= new OffloadPool(Math.max(2, Math.min(8, availableParallelism())));
  return pool;
}

export function isShared(data: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer;
}

/** A byte array over fresh shared memory (zero-filled), for bytes the workers read without copies. */
export function sharedBytes(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

/**
 * The copy budget of the hashing workers: copied bytes posted and not yet hashed, now and at most since
 * the last reset (for tests and diagnostics).
 */
export function hashQueueStats(resetPeak = false): { budgetBytes: number; inFlightBytes: number; peakBytes: number } {
  return offloadPool().copies.stats(resetPeak);
}

/** CRC-32 (zlib's) of `data`: in a worker when it lies in shared memory and is big, else right here. */
export function crc32Offloaded(data: Uint8Array): Promise<number> {
  if (!isShared(data) || data.byteLength < CRC_OFFLOAD_MIN_BYTES) return Promise.resolve(crc32(data));
  const p = offloadPool();
  return p.call<number>(p.leastBusy(), { op: 'crc', data });
}

let nextHashId = 0;

/**
 * A SHA-256 kept in a worker thread; updates are hashed in the order posted, and digest() gives the hex
 * digest of everything posted before it. update() resolves once the caller may change or reuse its bytes:
 * bytes in shared memory once hashed (the worker reads them in place), other bytes once copied into
 * messages, which waits for room in the copy budget while the worker lags.
 */
export class OffloadedSha256 {
  private readonly lane: Lane;
  private readonly hid = nextHashId++;
  private done = false;
  /** Resolves once the last update's bytes are all posted: the next one posts after it. */
  private posted: Promise<void> = Promise.resolve();

  constructor() {
    this.lane = offloadPool().laneForHash();
  }

  update(data: Uint8Array): Promise<void> {
    if (this.done) return Promise.reject(new Error('hash already digested'));
    if (data.byteLength === 0) return Promise.resolve();
    const pool = offloadPool();
    if (isShared(data)) {
      const hashed = this.posted.then(() => pool.call<void>(this.lane, { op: 'update', hid: this.hid, data }));
      this.posted = this.posted.then(() => {});
      return hashed;
    }
    const copied = this.posted.then(() => this.postCopies(data));
    this.posted = copied.catch(() => {});
    return copied;
  }

  digest(): Promise<string> {
    if (this.done) return Promise.reject(new Error('hash already digested'));
    this.done = true;
    return this.posted.then(() => offloadPool().call<string>(this.lane, { op: 'digest', hid: this.hid }));
  }

  /** Forgets the hash (when it will never be digested). */
  drop(): void {
    if (this.done) return;
    this.done = true;
    void this.posted.then(() => offloadPool().call<void>(this.lane, { op: 'drop', hid: this.hid })).catch(() => {});
  }

  /** Copies `data` into messages piece by piece, each once it fits the budget; it is freed once hashed. */
  private async postCopies(data: Uint8Array): Promise<void> {
    const pool = offloadPool();
    for (let at = 0; at < data.byteLength; at += COPY_PIECE_BYTES) {
      // The size is kept apart: the caller's buffer may be detached (transferred) once this returns, and
      // a detached view's byteLength reads 0, which would never give the budget back.
      const bytes = Math.min(COPY_PIECE_BYTES, data.byteLength - at);
      await pool.copies.take(bytes);
      const copy = new Uint8Array(bytes); // not slice(): a Buffer's slice is a view
      copy.set(data.subarray(at, at + bytes));
      const hashed = pool.call<void>(this.lane, { op: 'update', hid: this.hid, data: copy }, [copy.buffer]);
      // A failure shows at digest(), which the dead lane rejects.
      hashed.then(() => pool.copies.give(bytes), () => pool.copies.give(bytes));
    }
  }
}
