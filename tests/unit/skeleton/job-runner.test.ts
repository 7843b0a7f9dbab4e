import { describe, expect, it } from 'vitest';
import type { JobSummary, StudioEvent } from '../../../main/engine/api';
import { JobRunner } from '../../../main/engine/jobs/runner';
import { runSelftest } from '../../../main/engine/jobs/kinds/selftest';

function collect() {
  const events: StudioEvent[] = [];
  const runner = new JobRunner((e) => events.push(e));
  const jobEvents = (id: string) => events.filter((e): e is Extract<StudioEvent, { type: 'job' }> => e.type === 'job' && e.job.id === id).map((e) => e.job);
  return { runner, events, jobEvents };
}

describe('job runner', () => {
  it('reports progress that rises to the total, then success with the result; a 0.2 s job gets no ETA', async () => {
    const { runner, jobEvents } = collect();
    const id = runner.submit('selftest', 'count', (ctx) => runSelftest({ steps: 20, stepMs: 10 }, ctx));
    const final = await runner.wait(id);
    expect(final.status).toBe('succeeded');
    expect(final.result).toEqual({ steps: 20 });
    const seen = jobEvents(id);
    expect(seen[0].status).toBe('queued');
    const running = seen.filter((j) => j.status === 'running' && j.done > 0);
    expect(running.length).toBeGreaterThan(1);
    for (let i = 1; i < running.length; i++) expect(running[i].done).toBeGreaterThanOrEqual(running[i - 1].done);
    // not measurable in 0.2 s: no guess at all rather than a wild one
    expect(running.every((j) => j.etaSeconds === null || j.done === j.total)).toBe(true);
    expect(running.at(-1)!.done).toBe(20);
  });

  /** A runner on a clock the test moves; `job` reports progress and reads its ETA back. */
  function clocked() {
    let t = 0;
    const events: StudioEvent[] = [];
    const runner = new JobRunner((e) => events.push(e), () => t);
    return { runner, events, advance: (ms: number) => { t += ms; } };
  }

  it('gives an ETA only once a second has passed and a few per cent are done, measured from the first update', async () => {
    const { runner, advance } = clocked();
    const etas: (number | null)[] = [];
    const id = runner.submit('merge', 'slow start', async (ctx) => {
      const at = (done: number) => { ctx.progress({ done, total: 1000, unit: 'bytes' }); etas.push(runner.get(id)!.etaSeconds); };
      advance(60_000); // opening and hashing: a minute before the first byte is counted
      at(10);
      advance(500); at(400); // half a second: not yet
      advance(600); at(20); // went back (a new count): measuring starts again
      advance(1200); at(25); // a second, but 0.5 % done since: not yet
      advance(100); at(520); // 1.3 s, 50 % since the restart: 1.3 s × 480 / 500
    });
    await runner.wait(id);
    expect(etas.slice(0, 4)).toEqual([null, null, null, null]);
    expect(etas[4]).toBeCloseTo((1.3 * 480) / 500, 6);
  });

  it('ends a succeeded job with done = total, a failed one where it stopped', async () => {
    const { runner } = clocked();
    const ok = runner.submit('soup', 'skips tries', async (ctx) => { ctx.progress({ done: 8, total: 100, unit: 'models' }); });
    const bad = runner.submit('soup', 'fails', async (ctx) => { ctx.progress({ done: 8, total: 100, unit: 'models' }); throw new Error('no'); });
    expect(await runner.wait(ok)).toMatchObject({ status: 'succeeded', done: 100, total: 100, etaSeconds: 0 });
    expect(await runner.wait(bad)).toMatchObject({ status: 'failed', done: 8, total: 100, etaSeconds: null });
  });

  it('runs one job at a time, in order', async () => {
    const { runner } = collect();
    const order: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const job = (name: string) => async () => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      order.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 20));
      order.push(`end ${name}`);
      concurrent--;
    };
    const a = runner.submit('selftest', 'a', job('a'));
    const b = runner.submit('selftest', 'b', job('b'));
    expect(runner.get(b)!.status).toBe('queued');
    await runner.wait(a);
    await runner.wait(b);
    expect(maxConcurrent).toBe(1);
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('cancels a running job promptly and a queued one before it starts', async () => {
    const { runner } = collect();
    const a = runner.submit('selftest', 'long', (ctx) => runSelftest({ steps: 1000, stepMs: 50 }, ctx));
    let bStarted = false;
    const b = runner.submit('selftest', 'queued', async () => { bStarted = true; });
    await new Promise((r) => setTimeout(r, 120));
    expect(runner.get(a)!.status).toBe('running');
    expect(runner.cancel(b)).toBe(true);
    const t0 = Date.now();
    expect(runner.cancel(a)).toBe(true);
    const final: JobSummary = await runner.wait(a);
    expect(final.status).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(final.done).toBeLessThan(1000);
    expect(runner.get(b)!.status).toBe('cancelled');
    expect(bStarted).toBe(false);
    expect(runner.cancel('job-999')).toBe(false);
  });

  it('reports a failing job with its message and keeps running the next one', async () => {
    const { runner } = collect();
    const bad = runner.submit('selftest', 'bad', (ctx) => runSelftest({ steps: 10, stepMs: 1, failAt: 3 }, ctx));
    const good = runner.submit('selftest', 'good', (ctx) => runSelftest({ steps: 3, stepMs: 1 }, ctx));
    const badFinal = await runner.wait(bad);
    expect(badFinal.status).toBe('failed');
    expect(badFinal.error).toMatch(/step 3/);
    expect((await runner.wait(good)).status).toBe('succeeded');
  });

  it('forwards logs and metrics as events tagged with the job', async () => {
    const { runner, events } = collect();
    const id = runner.submit('selftest', 'talk', async (ctx) => { ctx.log('hello'); ctx.metric('loss', { step: 1, loss: 0.5 }); });
    await runner.wait(id);
    expect(events).toContainEqual({ type: 'log', jobId: id, message: 'hello' });
    expect(events).toContainEqual({ type: 'metric', jobId: id, name: 'loss', value: { step: 1, loss: 0.5 } });
  });
});
