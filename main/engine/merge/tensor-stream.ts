// The streaming loop: one output tensor at a time, read ahead, merged, written, its buffers given back
// once hashed and written. A few tensors are in flight at once, so the memory held stays bounded.
import { CancelledError, type JobContext } from '../job-context';
import { computeTensor } from './compute-tensor';
import type { MergeOutput } from './merge-output';
import type { MergePlan } from './plan';
import type { RunFolder } from '../workspace/run-folder';
import { ReadAhead, type Inputs, type TensorReader } from './tensor-reads';

/** Tensor notes (a documented difference from the reference applied) logged in full; the rest are counted. */
const NOTES_LOGGED = 20;
/**
 * Tensors in flight (merged, not yet hashed and written) before the loop waits for the oldest. With one, a
 * merge of big tensors holds at most two tensors' inputs and outputs (the one hashed and written, the one
 * read and merged); three let a lagging hash worker push 4 × 512 MB (32 MB tensors) to 828 MB RSS.
 */
export const IN_FLIGHT = 1;

/**
 * Where a documented difference from the reference (mergekit) applied to a tensor, the log says so: the
 * first NOTES_LOGGED in full, then a count, so a million-tensor model does not flood it.
 */
class TensorNotes {
  private count = 0;
  constructor(private readonly log: (message: string) => void) {}

  add(tensor: string, message: string): void {
    if (++this.count <= NOTES_LOGGED) this.log(`note: ${tensor}: ${message}`);
  }

  summarize(): void {
    const { count } = this;
    if (count > NOTES_LOGGED) this.log(`note: ${count - NOTES_LOGGED} more tensor notes like the above (${count} in all; see docs/recipes.md, "mergekit")`);
  }
}

/**
 * Hands a merged tensor to the output. `release` resolves once its input and output buffers are back in
 * the arena (hashed and written); a tensor held in the output's queue leaves its buffers to the garbage
 * collector. (Wrapped, so the caller chooses when to await it.)
 */
async function writeMerged(output: MergeOutput, reader: TensorReader, name: string, inputs: Inputs, merged: { bytes: Uint8Array; buffer?: Uint8Array }): Promise<{ release: Promise<void> }> {
  const write = await output.write(name, merged.bytes);
  const release = write
    ? Promise.all([...inputs.hashed, write.written]).then(() => reader.arena.give(merged.buffer ? [...inputs.buffers, merged.buffer] : inputs.buffers))
    : Promise.all(inputs.hashed).then(() => {});
  release.catch(() => {}); // surfaced when awaited
  return { release };
}

/** Merges every planned tensor into `output`, in plan order; returns once all are written (not finished). */
export async function streamTensors(plan: MergePlan, reader: TensorReader, output: MergeOutput, ctx: JobContext, log: (message: string) => void, run?: RunFolder): Promise<void> {
  const { sizes } = reader;
  const total = sizes.reduce((a, b) => a + b, 0);
  const notes = new TensorNotes(log);
  const ahead = new ReadAhead(reader);
  /** Per tensor in flight: resolves once its buffers are back (hashed and written); failures surface here. */
  const releases: Promise<void>[] = [];
  let done = 0;
  ahead.fill(true);
  for (let i = 0; i < plan.tensors.length; i++) {
    if (ctx.signal.aborted) throw new CancelledError();
    const t = plan.tensors[i];
    const t0 = performance.now();
    const inputs = await ahead.take(i);
    if (ctx.signal.aborted) throw new CancelledError();
    const merged = await computeTensor(t, plan.method, inputs, reader.arena, (m) => notes.add(t.name, m));
    releases.push((await writeMerged(output, reader, t.name, inputs, merged)).release);
    // Bounds the tensors in flight (so the memory held), and surfaces a hashing failure.
    if (releases.length > IN_FLIGHT) await releases.shift();
    ahead.fill(true);
    done += sizes[i];
    ctx.progress({ done, total, message: t.name, unit: 'bytes' });
    run?.metric('tensor', { tensor: t.name, action: t.action.kind, bytes: sizes[i], ms: Math.round((performance.now() - t0) * 100) / 100 });
  }
  notes.summarize();
  await output.flush();
  await Promise.all(releases.splice(0));
}
