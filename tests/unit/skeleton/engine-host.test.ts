import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { JobSummary, StudioEvent } from '../../../main/engine/api';
import { EngineClient, type HostTransport } from '../../../main/engineClient';
import { forkHost } from '../../../main/serve/node-host';

const HOST = path.resolve(__dirname, '../../../main/engine/host.ts');
let client: EngineClient | null = null;
afterEach(() => client?.stop());

function start() {
  const events: StudioEvent[] = [];
  const transports: HostTransport[] = [];
  const inner = forkHost(HOST, { execArgv: ['--import', 'tsx'] });
  client = new EngineClient(() => {
    const t = inner();
    transports.push(t);
    return t;
  }, (e) => events.push(e));
  return { client, events, transports };
}

async function until(pred: () => boolean, ms = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('engine host process', () => {
  it('answers calls from its own process and rejects malformed ones', async () => {
    const { client } = start();
    await client.start();
    const env = await client.call('getEnvironment', {});
    expect(env.mode).toBe('browser');
    expect(env.providers).toContain('cpu');
    await expect(client.call('startJob', { kind: 'nope' })).rejects.toThrow(/kind/);
  });

  it('is restarted when it dies, failing the job it was running and telling the UI', async () => {
    const { client, events, transports } = start();
    await client.start();
    const { jobId } = await client.call('startJob', { kind: 'selftest', params: { steps: 1000, stepMs: 20 } });
    await until(() => events.some((e) => e.type === 'job' && e.job.id === jobId && e.job.status === 'running'));
    transports[0].kill();
    await until(() => events.some((e) => e.type === 'engine' && e.state === 'restarted'));
    const last = events.filter((e): e is { type: 'job'; job: JobSummary } => e.type === 'job' && e.job.id === jobId).at(-1)!;
    expect(last.job.status).toBe('failed');
    expect(last.job.error).toMatch(/engine process stopped/);
    expect(events.some((e) => e.type === 'engine' && e.state === 'crashed')).toBe(true);
    expect(transports.length).toBe(2);
    // the new host works
    const env = await client.call('getEnvironment', {});
    expect(env.onnxruntimeVersion).toMatch(/^\d/);
  });
});
