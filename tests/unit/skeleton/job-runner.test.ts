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
  it('reports progress that rises to the total, with an ETA, then success with the result', async () => {
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
    expect(running.some((j) => j.etaSeconds !== null && j.etaSeconds > 0)).toBe(true);
    expect(running.at(-1)!.done).toBe(20);
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
