// Linear combinations Σcᵢxᵢ in worker threads, so the main thread keeps reading (and CRC-checking) the
// next tensor and writing the previous one while a tensor is merged. The worker is plain JS passed inline
// (no build step: the same under tsx, vitest, the CLI and Electron). Its loops are the ones of linear.ts,
// in the same order, so a tensor gets the same bytes either way (tests/unit/merge/pool.test.ts checks).
// Tensors in a merge's arena (arena.ts) take the SIMD kernel of wasm-linear.ts instead: same bytes, ~4×
// faster.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { padded, type SharedArena } from './arena';
import { linearWasmModule, WASM_MAX_INPUTS } from './wasm-linear';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const simd = new WebAssembly.Module(workerData.wasm);
let arena = null; // the latest merge's shared memory, with the SIMD kernels instantiated over it
function combine(xs, c, n, into) {
  const out = into || new Float32Array(n);
  switch (xs.length) {
    case 1: { const a = xs[0]; for (let i = 0; i < n; i++) out[i] = c[0] * a[i]; return out; }
    case 2: { const a = xs[0], b = xs[1], ca = c[0], cb = c[1]; for (let i = 0; i < n; i++) out[i] = ca * a[i] + cb * b[i]; return out; }
    case 3: { const a = xs[0], b = xs[1], d = xs[2], ca = c[0], cb = c[1], cc = c[2]; for (let i = 0; i < n; i++) out[i] = ca * a[i] + cb * b[i] + cc * d[i]; return out; }
    case 4: {
      const a = xs[0], b = xs[1], d = xs[2], e = xs[3], ca = c[0], cb = c[1], cc = c[2], cd = c[3];
      for (let i = 0; i < n; i++) out[i] = ca * a[i] + cb * b[i] + cc * d[i] + cd * e[i];
      return out;
    }
    default: {
      const acc = new Float64Array(n);
      for (let m = 0; m < xs.length; m += 4) {
        const part = new Float64Array(n);
        for (let k = m; k < Math.min(m + 4, xs.length); k++) { const x = xs[k], w = c[k]; for (let i = 0; i < n; i++) part[i] += w * x[i]; }
        for (let i = 0; i < n; i++) acc[i] += part[i];
      }
      out.set(acc);
      return out;
    }
  }
}
parentPort.on('message', ({ id, xs, coefs, n, lent, into, wasm, forget }) => {
  if (forget !== undefined) { if (arena && arena.id === forget) arena = null; return; }
  if (wasm) {
    try {
      if (!arena || arena.id !== wasm.arenaId) arena = { id: wasm.arenaId, fns: new WebAssembly.Instance(simd, { env: { memory: wasm.memory } }).exports };
      arena.fns['combine' + wasm.ptrs.length](...wasm.ptrs, wasm.out, wasm.bytes, ...coefs);
      parentPort.postMessage({ id, out: null, lent: [] });
    } catch (e) {
      parentPort.postMessage({ id, error: String((e && e.message) || e) });
    }
    return;
  }
  const out = combine(xs, coefs, n, into);
  // Buffers lent to us go back with the result, for the caller to read the next tensors into. An output
  // in shared memory (into) is the caller's own: it is written in place and goes back as a view.
  parentPort.postMessage({ id, out, lent }, into ? lent : [out.buffer, ...lent]);
});
`;

/** Below this many elements a tensor is merged on the main thread: the message costs more than it saves. */
export const POOL_MIN_ELEMENTS = 1 << 18;

interface Job { resolve: (r: { out: Float32Array | null; lent: ArrayBuffer[] }) => void; reject: (e: Error) => void }

class LinearPool {
  private readonly workers: Worker[] = [];
  private readonly jobs = new Map<number, Job>();
  private readonly busy = new Map<Worker, number>();
  /** The arena each worker has instantiated the SIMD kernels over (it is sent its memory once). */
  private readonly arenaOf = new Map<Worker, number>();
  private nextId = 0;

  constructor(private readonly size: number) {}

  async combine(xs: Float32Array[], coefs: number[]): Promise<Float32Array> {
    return (await this.combineLending(xs, coefs)).out!;
  }

  /**
   * Σ coefs·xs into `into` with the SIMD kernel, when every array starts a block of `arena` (so the kernel
   * can reach it) and there are at most four: resolves true once `into` holds the result. Resolves false,
   * having done nothing, when it cannot (the caller then uses combineLending).
   */
  async combineInArena(arena: SharedArena, xs: Float32Array[], coefs: number[], into: Float32Array): Promise<boolean> {
    const n = into.length;
    const bytes = padded(n * 4);
    const fits = (x: Float32Array) => x.length === n && (arena.blockOf(x) ?? 0) >= bytes;
    if (!arena.memory || xs.length < 1 || xs.length > WASM_MAX_INPUTS || !fits(into) || !xs.every(fits)) return false;
    const worker = this.pick();
    const fresh = this.arenaOf.get(worker) !== arena.id;
    this.arenaOf.set(worker, arena.id);
    const wasm = { arenaId: arena.id, memory: fresh ? arena.memory : undefined, ptrs: xs.map((x) => x.byteOffset), out: into.byteOffset, bytes };
    await this.post(worker, { coefs, wasm }, []);
    return true;
  }

  /**
   * Like combine, and gives back the inputs' buffers that were moved to the worker (now free to reuse).
   * Inputs in shared memory are read in place (nothing moves); `into`, n floats over a SharedArrayBuffer,
   * receives the result in place of a new array.
   */
  combineLending(xs: Float32Array[], coefs: number[], into?: Float32Array): Promise<{ out: Float32Array; lent: ArrayBuffer[] }> {
    const worker = this.pick();
    // Hand over whole buffers we own without copying; anything else (a view into a larger buffer that
    // may hold other tensors) is copied by the structured clone instead of being detached.
    const transfer = xs.filter((x) => x.byteOffset === 0 && x.byteLength === x.buffer.byteLength && x.buffer instanceof ArrayBuffer).map((x) => x.buffer as ArrayBuffer);
    const unique = [...new Set(transfer)];
    const shared = into && into.buffer instanceof SharedArrayBuffer && into.length === xs[0].length ? into : undefined;
    // The JS loop always answers with an array (the SIMD path alone answers null).
    return this.post(worker, { xs, coefs, n: xs[0].length, lent: unique, into: shared }, unique) as Promise<{ out: Float32Array; lent: ArrayBuffer[] }>;
  }

  /** The run is over: workers let go of its arena's memory (else each would keep it until the next run). */
  forget(arena: SharedArena): void {
    for (const [worker, id] of this.arenaOf) {
      if (id !== arena.id) continue;
      this.arenaOf.delete(worker);
      worker.postMessage({ forget: arena.id });
    }
  }

  private post(worker: Worker, message: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<{ out: Float32Array | null; lent: ArrayBuffer[] }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      this.busy.set(worker, (this.busy.get(worker) ?? 0) + 1);
      worker.ref(); // keep the process alive while a job is out
      worker.postMessage({ ...message, id }, transfer);
    });
  }

  private pick(): Worker {
    if (this.workers.length < this.size && [...this.busy.values()].every((b) => b > 0)) return this.spawn();
    let best = this.workers[0];
    for (const w of this.workers) if ((this.busy.get(w) ?? 0) < (this.busy.get(best) ?? 0)) best = w;
    return best ?? this.spawn();
  }

  private spawn(): Worker {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { wasm: linearWasmModule() } });
    w.unref();
    w.on('message', ({ id, out, lent, error }: { id: number; out: Float32Array | null; lent: ArrayBuffer[]; error?: string }) => {
      const job = this.jobs.get(id);
      this.jobs.delete(id);
      const left = (this.busy.get(w) ?? 1) - 1;
      this.busy.set(w, left);
      if (left === 0) w.unref();
      if (error !== undefined) job?.reject(new Error(`merge kernel failed: ${error}`));
      else job?.resolve({ out, lent });
    });
    w.on('error', (e) => this.fail(w, e));
    w.on('exit', (code) => this.fail(w, new Error(`merge worker exited (code ${code})`)));
    this.workers.push(w);
    this.busy.set(w, 0);
    return w;
  }

  /** A dead worker fails every job (we cannot tell which were its own) and leaves the pool. */
  private fail(w: Worker, e: Error): void {
    const i = this.workers.indexOf(w);
    if (i < 0) return;
    this.workers.splice(i, 1);
    this.busy.delete(w);
    this.arenaOf.delete(w);
    for (const job of this.jobs.values()) job.reject(e);
    this.jobs.clear();
  }
}

let pool: LinearPool | undefined;

/** The shared pool: one worker per core beyond the main thread's, at most 4 (memory bandwidth bound). */
export function linearPool(): LinearPool {
  pool ??= new LinearPool(Math.max(1, Math.min(4, availableParallelism() - 1)));
  return pool;
}
