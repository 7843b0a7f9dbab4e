// A timed count over N steps: lets progress, ETA and cancel be tested before real jobs exist.
import type { z } from 'zod';
import type { SelftestParams } from '../../api';
import { throwIfCancelled, type JobContext } from '../../job-context';

export async function runSelftest(params: z.infer<typeof SelftestParams>, ctx: JobContext): Promise<{ steps: number }> {
  for (let i = 0; i < params.steps; i++) {
    throwIfCancelled(ctx);
    if (params.failAt !== undefined && i === params.failAt) throw new Error(`selftest failed on purpose at step ${i}`);
    await sleep(params.stepMs, ctx.signal);
    ctx.progress({ done: i + 1, total: params.steps, message: `step ${i + 1} of ${params.steps}`, unit: 'steps' });
  }
  throwIfCancelled(ctx);
  return { steps: params.steps };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
