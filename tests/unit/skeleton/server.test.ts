import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { createEngine } from '../../../main/engine/engine';
import { startServer, type RunningServer } from '../../../main/serve/server';

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-server-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Merge Studio</title>');
  fs.writeFileSync(path.join(os.tmpdir(), 'ms-secret.txt'), 'secret');
  const engine = createEngine((e) => server?.broadcast(e), 'browser');
  server = await startServer({ port: 0, rendererDir: dir, engine: { call: (n, a) => engine.call(n as never, a) } });
});
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = (p: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${server.port}${p}`, { headers });

function openWs(query: string, origin: string | undefined): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api${query}`, origin ? { origin } : {});
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.on('error', () => {});
  });
}

function rpc(ws: WebSocket, id: number, call: unknown, args: unknown): Promise<{ id: number; ok: boolean; result?: unknown; error?: string }> {
  return new Promise((resolve) => {
    const onMsg = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString());
      if (msg.id === id) { ws.off('message', onMsg); resolve(msg); }
    };
    ws.on('message', onMsg);
    ws.send(JSON.stringify({ id, call, args }));
  });
}

describe('browser-served mode', () => {
  it('prints a 127.0.0.1 URL with a random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  });

  it('refuses the page without the token (401) and with a wrong one', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=nope')).status).toBe(401);
    expect((await get('/index.html')).status).toBe(401);
  });

  it('serves the page with the token, then assets by its cookie, with a CSP', async () => {
    const res = await get(`/?token=${server.token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    expect((await get('/index.html', { cookie })).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding) with 403', async () => {
    const res = await new Promise<number>((resolve) => {
      // fetch() will not let us set Host; use http directly
      import('node:http').then(({ request }) => {
        const r = request({ host: '127.0.0.1', port: server.port, path: `/?token=${server.token}`, headers: { host: 'evil.example:80' } }, (res) => resolve(res.statusCode!));
        r.end();
      });
    });
    expect(res).toBe(403);
  });

  it('refuses paths that escape the renderer folder', async () => {
    const res = await get(`/..%2fms-secret.txt?token=${server.token}`);
    expect([403, 404]).toContain(res.status);
    expect(await res.text()).not.toContain('secret');
  });

  it('refuses a WebSocket from a foreign Origin (403) or without the token (401)', async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    expect((await openWs(`?token=${server.token}`, 'http://evil.example')).status).toBe(403);
    expect((await openWs(`?token=${server.token}`, undefined)).status).toBe(403);
    expect((await openWs('', origin)).status).toBe(401);
    expect((await openWs('?token=wrong', origin)).status).toBe(401);
  });

  it('answers valid calls and rejects malformed ones over the WebSocket', async () => {
    const { ws } = await openWs(`?token=${server.token}`, `http://127.0.0.1:${server.port}`);
    expect(ws).toBeDefined();
    const env = await rpc(ws!, 1, 'getEnvironment', {});
    expect(env.ok).toBe(true);
    expect((env.result as { onnxruntimeVersion: string }).onnxruntimeVersion).toMatch(/^\d+\.\d+\.\d+/);
    const bad = await rpc(ws!, 2, 'startJob', { kind: 'selftest', params: { steps: 'x' } });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/steps/);
    const unknown = await rpc(ws!, 3, 'eval', {});
    expect(unknown.ok).toBe(false);
    expect(unknown.error).toMatch(/unknown call/);
    ws!.close();
  });

  it('streams job events to the WebSocket client', async () => {
    const { ws } = await openWs(`?token=${server.token}`, `http://127.0.0.1:${server.port}`);
    const statuses: string[] = [];
    const finished = new Promise<void>((resolve) => {
      ws!.on('message', (d) => {
        const m = JSON.parse(d.toString());
        if (m.event?.type === 'job') {
          statuses.push(m.event.job.status);
          if (m.event.job.status === 'succeeded') resolve();
        }
      });
    });
    const started = await rpc(ws!, 1, 'startJob', { kind: 'selftest', params: { steps: 5, stepMs: 5 } });
    expect(started.ok).toBe(true);
    await finished;
    expect(statuses).toContain('running');
    ws!.close();
  });
});
