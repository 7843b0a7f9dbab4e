// The peak memory (resident set) of a planned merge, from the plan and how the executor buffers:
//   - tensors of up to PREFETCH_MAX_BYTES of inputs lie in the arena: up to IN_FLIGHT + 1 of them held
//     (merged, being hashed and written) with their outputs, plus READ_AHEAD_BYTES of inputs read ahead;
//   - a bigger tensor is read alone, once those before it are released: two of them are held at most
//     (the one written, the one merged) with their outputs;
//   - a method that works on this thread (TIES, DARE, …) allocates its scratch per tensor (task vectors,
//     masks), f16/bf16 inputs are widened to f32, and small tensors (under POOL_MIN_ELEMENTS) are merged
//     into fresh arrays whose hashing copies them: garbage the collector frees in batches;
//   - an ONNX output that needs its metadata first queues merged tensors while the parents are hashed
//     (QUEUE_MAX_BYTES, with cores to spare); an alignment holds every model; a BatchNorm repair the output.
// The constants below were measured with peak RSS of merges in a child process (tests/unit/merge/
// memory-estimate.test.ts checks the estimate within 25 % on real merges): a Node process with the engine
// loaded holds ~100 MB before a merge, the hashing and merge worker threads ~36 MB, and the collector lets
// garbage pile up on top of the bytes held before it frees it (GC_FACTOR*).
import { availableParallelism, freemem, totalmem } from 'node:os';
import { DTYPE_SIZE, numElements } from '../tensor/dtypes';
import { POOL_MIN_ELEMENTS } from './kernels/pool';
import type { MergePlan, PlanSources } from './plan';
import { PREFETCH_MAX_BYTES, READ_AHEAD_BYTES, plannedInputBytes } from './tensor-reads';
import { IN_FLIGHT } from './tensor-stream';

/** Resident memory of the engine's process before a merge (Node, onnxruntime, the engine's modules). */
export const PROCESS_BASE_BYTES = 100 << 20;
/** The hashing and merge worker threads' own heaps. */
export const WORKER_BYTES = 36 << 20;
/**
 * Bytes held, times this, is what the resident set reaches: the garbage collector's lag on top. Measured:
 * about 1.6× for tensors read ahead of the merge (reads that land in fresh buffers rather than the arena's
 * wait for the collector), 4/3× for big tensors read alone and for the methods' scratch.
 */
const GC_FACTOR_AHEAD = 1.6;
const GC_FACTOR = 4 / 3;
/** Small tensors' garbage (fresh arrays, copied hash messages) piles up to about this much, twice over. */
const SMALL_GARBAGE_BYTES = 64 << 20;
/** Bytes of merged tensors an output that needs its metadata first may queue (executor.ts's default). */
const QUEUE_BYTES = availableParallelism() >= 6 ? 128 << 20 : 0;

export interface MemoryEstimate {
  /** The whole process's peak resident set during the merge, estimated. */
  peakBytes: number;
  /** What it is made of, in bytes. */
  parts: {
    process: number;
    workers: number;
    /** Inputs and outputs of the tensors held at once (in flight and read ahead). */
    buffers: number;
    /** The method's scratch and f32 copies of the largest tensor. */
    scratch: number;
    /** Garbage of small tensors, queued output, alignment and repair. */
    other: number;
  };
  /** The largest tensor's inputs, its name and how many inputs each merged tensor reads. */
  largest: { name: string; inputBytes: number };
  inputsPerTensor: number;
  /** Free and total memory of this machine now. */
  freeBytes: number;
  totalBytes: number;
}

export interface EstimateOptions {
  /** The output needs its metadata first (ONNX): merged tensors may queue while the parents are hashed. */
  metadataFirst?: boolean;
  /** The recipe aligns the models first (all of them are held as state dicts). */
  aligned?: boolean;
  /** A BatchNorm repair holds the merged model before writing it. */
  repaired?: boolean;
}

/** The method's own per-tensor allocations for n elements and k models (see methods/ and kernels/). */
function scratchOf(plan: MergePlan, n: number, k: number): number {
  const m = plan.method;
  if (m.linearForm && !m.needsBase) return 0; // a fixed linear combination: into the output buffer
  if (m.needsBase) return (k + 1) * n * 4 + 2 * n; // a delta per model, a magnitude copy, masks
  if (m.id === 'multislerp' || m.id === 'karcher') return (k + 2) * n * 8;
  if (m.id === 'nuslerp') return 2 * n * 4;
  return n * 4;
}

/** The estimate for `plan` over `sources` (opened models, as the pre-flight has them). */
export function estimateMergeMemory(plan: MergePlan, sources: PlanSources, o: EstimateOptions = {}): MemoryEstimate {
  const sizes = plannedInputBytes(plan, sources);
  const k = sources.models.length;
  const inputsPerTensor = k + (sources.base && (plan.method.needsBase || plan.method.acceptsBase) ? 1 : 0);
  let smallIn = 0, smallTotal = 0, smallOut = 0, bigIn = 0, bigOut = 0, scratch = 0, smallGarbage = 0, outputBytes = 0;
  let largest = { name: '', inputBytes: 0 };
  plan.tensors.forEach((t, i) => {
    const n = numElements(t.shape);
    const size = sizes[i];
    const out = n * 4 + (t.outputDType === 'f32' ? 0 : n * DTYPE_SIZE[t.outputDType]);
    outputBytes += n * DTYPE_SIZE[t.outputDType];
    if (size > largest.inputBytes) largest = { name: t.name, inputBytes: size };
    if (size <= PREFETCH_MAX_BYTES) {
      smallIn = Math.max(smallIn, size);
      smallOut = Math.max(smallOut, out);
      smallTotal += size;
    } else {
      bigIn = Math.max(bigIn, size);
      bigOut = Math.max(bigOut, out);
    }
    if (t.action.kind !== 'merge') return;
    const widened = size === n * 4 * inputsPerTensor ? 0 : inputsPerTensor * n * 4;
    scratch = Math.max(scratch, scratchOf(plan, n, k) + widened);
    if (n < POOL_MIN_ELEMENTS) smallGarbage += out;
  });
  // Arena: the tensors in flight with their outputs, and the reads ahead (at least one tensor's).
  const ahead = smallIn > 0 ? Math.max(smallIn, Math.floor(READ_AHEAD_BYTES / smallIn) * smallIn) : 0;
  const arena = Math.min(smallTotal, (IN_FLIGHT + 1) * smallIn + ahead) + (IN_FLIGHT + 1) * smallOut;
  const big = bigIn > 0 ? 2 * (bigIn + bigOut) : 0;
  const buffers = Math.max(GC_FACTOR_AHEAD * arena, GC_FACTOR * big);
  const totalIn = sizes.reduce((a, b) => a + b, 0);
  const other = 2 * Math.min(SMALL_GARBAGE_BYTES, smallGarbage)
    + (o.metadataFirst ? Math.min(QUEUE_BYTES, outputBytes) : 0)
    + (o.aligned ? totalIn : 0)
    + (o.repaired ? outputBytes : 0);
  const peakBytes = PROCESS_BASE_BYTES + WORKER_BYTES + buffers + GC_FACTOR * scratch + other;
  return {
    peakBytes: Math.round(peakBytes),
    parts: { process: PROCESS_BASE_BYTES, workers: WORKER_BYTES, buffers: Math.round(buffers), scratch: Math.round(GC_FACTOR * scratch), other },
    largest,
    inputsPerTensor,
    freeBytes: freemem(),
    totalBytes: totalmem(),
  };
}
