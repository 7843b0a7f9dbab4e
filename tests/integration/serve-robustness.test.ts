// Serve mode must not die from one request: any local process can reach the port (and plant cookies, which
// ignore ports), so every malformed cookie, path escape, oversized or invalid WebSocket frame must end as a
// 400 or a close code plus a log line, while the server and a running job go on. After the hostile traffic
// (named cases, then a bounded fuzz loop), a real merge runs through the same server and is checked against
// PyTorch's own mean of the same checkpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { createEngine } from '../../main/engine/engine';
import { openModel } from '../../main/engine/formats/registry';
import { toFloat32 } from '../../main/engine/tensor/dtypes';
import { startServer, type RunningServer } from '../../main/serve/server';
import type { JobSummary } from '../../main/engine/api';

const FIX = path.resolve(__dirname, '../fixtures/merge');
let server: RunningServer;
let dir: string;
const logs: string[] = [];
const jobs = new Map<string, JobSummary>();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-serve-fuzz-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Merge Studio</title>');
  for (const i of [0, 1, 2]) fs.copyFileSync(path.join(FIX, `cnn_${i}.pt`), path.join(dir, `cnn_${i}.pt`));
  const engine = createEngine((e) => {
    if (e.type === 'job') jobs.set(e.job.id, e.job);
    server?.broadcast(e);
  }, 'browser', { roots: [dir] });
  server = await startServer({ port: 0, rendererDir: dir, engine: { call: (n, a) => engine.call(n as never, a) }, log: (l) => logs.push(l) });
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const origin = () => `http://127.0.0.1:${server.port}`;

/** Writes raw bytes to the port and collects what comes back until the server closes or `ms` pass. */
function raw(bytes: Buffer | string, ms = 2000): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect(server.port, '127.0.0.1');
    const done = () => { clearTimeout(timer); s.destroy(); resolve(Buffer.concat(chunks)); };
    const timer = setTimeout(done, ms);
    s.on('data', (c) => chunks.push(c));
    s.on('error', done);
    s.on('close', done);
    s.write(bytes);
  });
}

const status = (reply: Buffer) => Number(/^HTTP\/1\.1 (\d{3})/.exec(reply.toString('latin1'))?.[1] ?? 0);

function upgradeRequest(query: string, extra = ''): string {
  return `GET /api${query} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nOrigin: ${origin()}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n${extra}\r\n`;
}

/** A raw WebSocket: handshake with the token, then `frames`; resolves with the close code the server sent (or null). */
function rawWs(frames: Buffer[], ms = 2000): Promise<{ handshake: number; closeCode: number | null }> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let handshake = 0;
    let closeCode: number | null = null;
    const s = net.connect(server.port, '127.0.0.1');
    const done = () => { clearTimeout(timer); s.destroy(); resolve({ handshake, closeCode }); };
    const timer = setTimeout(done, ms);
    s.on('error', done);
    s.on('close', done);
    s.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      if (!handshake) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        handshake = status(buf);
        buf = buf.subarray(end + 4);
        if (handshake === 101) for (const f of frames) s.write(f);
      }
      // server frames are unmasked; look for a close frame (opcode 8) with its code
      let p = 0;
      while (p + 2 <= buf.length) {
        const op = buf[p] & 0x0f;
        let len = buf[p + 1] & 0x7f;
        let h = 2;
        if (len === 126) { if (p + 4 > buf.length) break; len = buf.readUInt16BE(p + 2); h = 4; }
        else if (len === 127) { if (p + 10 > buf.length) break; len = Number(buf.readBigUInt64BE(p + 2)); h = 10; }
        if (p + h + len > buf.length) break;
        if (op === 8 && len >= 2) closeCode = buf.readUInt16BE(p + h);
        p += h + len;
      }
      buf = buf.subarray(p);
    });
    s.write(upgradeRequest(`?token=${server.token}`));
  });
}

/** A client frame: FIN + opcode, masked as clients must. */
function frame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = crypto.randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
    : len < 65536 ? Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126]), u16(len)])
      : Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 127]), u64(len)]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([head, mask, body]);
}
const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; };

function openWs(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, { origin: origin() });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

function rpc(ws: WebSocket, id: number, call: string, args: unknown): Promise<{ ok: boolean; result?: unknown; error?: string }> {
  return new Promise((resolve) => {
    const onMsg = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString());
      if (msg.id === id) { ws.off('message', onMsg); resolve(msg); }
    };
    ws.on('message', onMsg);
    ws.send(JSON.stringify({ id, call, args }));
  });
}

async function waitForJob(id: string, ms: number): Promise<JobSummary> {
  const until = Date.now() + ms;
  for (;;) {
    const j = jobs.get(id);
    if (j && ['succeeded', 'failed', 'cancelled'].includes(j.status)) return j;
    if (Date.now() > until) throw new Error(`job ${id} did not finish; last state ${JSON.stringify(j)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stillServing(): Promise<void> {
  const res = await fetch(`${origin()}/?token=${server.token}`);
  expect(res.status).toBe(200);
}

describe('serve mode under hostile input', () => {
  let jobId: string;

  it('starts a job that must survive everything below', async () => {
    const ws = await openWs();
    const r = await rpc(ws, 1, 'startJob', { kind: 'selftest', params: { steps: 200, stepMs: 25 } });
    expect(r.ok).toBe(true);
    jobId = (r.result as { jobId: string }).jobId;
    ws.close();
  });

  it('answers a malformed token cookie with 400 and a log line, on the page and on the /api upgrade', async () => {
    const before = logs.length;
    const page = await raw(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nCookie: merge_studio_token=%E0%A4%A\r\nConnection: close\r\n\r\n`);
    expect(status(page)).toBe(400);
    const up = await raw(upgradeRequest('', 'Cookie: merge_studio_token=%E0%A4%A\r\n'));
    expect(status(up)).toBe(400);
    expect(logs.slice(before).filter((l) => /merge_studio_token cookie has a malformed/.test(l))).toHaveLength(2);
    // a planted malformed cookie does not lock out the user: the printed URL still works beside it
    const withToken = await fetch(`${origin()}/?token=${server.token}`, { headers: { cookie: 'merge_studio_token=%E0%A4%A' } });
    expect(withToken.status).toBe(200);
    await stillServing();
  });

  it('answers a path with a bad escape or a NUL byte with 400 and a log line', async () => {
    const before = logs.length;
    for (const p of ['/%E0%A4%A', '/%zz', '/a%00b.html']) {
      const r = await raw(`GET ${p}?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`);
      expect(status(r), p).toBe(400);
    }
    expect(logs.slice(before).filter((l) => /^refused GET/.test(l))).toHaveLength(3);
    const garbage = await raw('\x00\x01 nonsense\r\n\r\n');
    expect(status(garbage)).toBe(400);
    await stillServing();
  });

  it('logs a refused request that carries the token without the token', async () => {
    const before = logs.length;
    const t = server.token;
    const targets = [`/%zz?token=${t}`, `/%zz?x=1&%74oken=${t}`, `http://127.0.0.1:${server.port}/?token=${t}`];
    for (const target of targets) {
      const r = await raw(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`);
      expect(status(r), target).toBe(400);
    }
    // the same absolute-form target on the /api upgrade
    const up = await raw(upgradeRequest('').replace('GET /api ', `GET http://127.0.0.1:${server.port}/api?token=${t} `));
    expect(status(up)).toBe(400);
    const lines = logs.slice(before);
    expect(lines.filter((l) => /^refused (GET|websocket)/.test(l))).toHaveLength(4);
    expect(lines.filter((l) => l.includes(t))).toEqual([]);
    expect(lines.filter((l) => /(token|%74oken)=…"/.test(l))).toHaveLength(4);
    await stillServing();
  });

  it('closes a WebSocket that sends a message over the payload limit (1009), and one of invalid UTF-8 (1007)', async () => {
    const before = logs.length;
    const ws = await openWs();
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('error', () => {});
    ws.send('x'.repeat(17 * 1024 * 1024));
    expect(await closed).toBe(1009);
    // the exact bytes: a masked text frame of two bytes ff fe (mask 0)
    const utf8 = await rawWs([Buffer.from([0x81, 0x82, 0x00, 0x00, 0x00, 0x00, 0xff, 0xfe])]);
    expect(utf8).toEqual({ handshake: 101, closeCode: 1007 });
    const binary = await rawWs([frame(2, Buffer.from([1, 2, 3]))]);
    expect(binary.closeCode).toBe(1003);
    await new Promise((r) => setTimeout(r, 100));
    const lines = logs.slice(before).join('\n');
    expect(lines).toMatch(/Max payload size exceeded|WS_ERR_UNSUPPORTED_MESSAGE_LENGTH/);
    expect(lines).toMatch(/WS_ERR_INVALID_UTF8|invalid UTF-8/i);
    expect(lines).toMatch(/binary message/);
    await stillServing();
  });

  it('survives a bounded fuzz loop of random cookies, paths and frames', async () => {
    // seeded, so a failure can be replayed; bounded by count and by time (loopback only)
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32; };
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
    const pick = <T,>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
    const pieces = ['%', '%E0', '%A4%A', '%zz', '%00', '..', '/', '%2f', '\u00ff', '?', '#', 'index.html', '%C0%AF', ';', '='];
    const text = (n: number) => Array.from({ length: n }, () => (rnd() < 0.5 ? pick(pieces) : String.fromCharCode(32 + Math.floor(rnd() * 95)))).join('');
    const deadline = Date.now() + 15_000;
    let sent = 0;
    for (let i = 0; i < 240 && Date.now() < deadline; i++) {
      const kind = i % 3;
      if (kind === 0) {
        const cookie = `${pick(['merge_studio_token', 'x', ''])}=${text(1 + Math.floor(rnd() * 20))}`;
        const r = await raw(Buffer.concat([Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nCookie: `), Buffer.from(cookie, 'latin1'), Buffer.from('\r\nConnection: close\r\n\r\n')]), 1000);
        expect([400, 401]).toContain(status(r));
      } else if (kind === 1) {
        const p = `/${text(1 + Math.floor(rnd() * 30))}`.replace(/[\s#?]/g, '');
        const r = await raw(Buffer.concat([Buffer.from('GET '), Buffer.from(p, 'latin1'), Buffer.from(`?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`)]), 1000);
        expect([200, 400, 403, 404], `${JSON.stringify(p)}: ${logs.slice(-1)[0]}`).toContain(status(r));
      } else {
        const frames: Buffer[] = [];
        for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) {
          const choice = rnd();
          if (choice < 0.3) frames.push(frame(pick([0, 1, 2, 3, 8, 9, 10, 11, 15]), bytes(Math.floor(rnd() * 200)), rnd() < 0.7));
          else if (choice < 0.5) frames.push(frame(1, Buffer.from(pick(['{"id":1}', '{"id":"x","call":"startJob"}', 'null', '[]', '{"id":2,"call":"openModel","args":{"path":"/etc/passwd"}}', '{"id":3,"call":"browse","args":{"dir":"/"}}']))));
          else if (choice < 0.7) frames.push(Buffer.concat([Buffer.from([0x80 | Math.floor(rnd() * 16) | (rnd() < 0.3 ? 0x70 : 0), Math.floor(rnd() * 256)]), bytes(Math.floor(rnd() * 40))]));
          else frames.push(bytes(1 + Math.floor(rnd() * 64)));
        }
        const r = await rawWs(frames, 600);
        expect(r.handshake).toBe(101);
      }
      sent++;
    }
    expect(sent).toBeGreaterThan(30);
    await stillServing();
  }, 60_000);

  it('kept the running job going, and runs a real merge through the same server afterwards', async () => {
    const selftest = await waitForJob(jobId, 30_000);
    expect(selftest.status).toBe('succeeded');
    const ws = await openWs();
    const out = path.join(dir, 'mean.safetensors');
    const recipe = { method: 'mean', models: [0, 1, 2].map((i) => path.join(dir, `cnn_${i}.pt`)), output: { path: out, dtype: 'f32' } };
    const r = await rpc(ws, 1, 'startJob', { kind: 'merge', params: { recipe } });
    expect(r.ok, r.error).toBe(true);
    const job = await waitForJob((r.result as { jobId: string }).jobId, 30_000);
    expect(job.status, job.error).toBe('succeeded');
    ws.close();
    const ours = await openModel(out);
    const torch = await openModel(path.join(FIX, 'mean_torch.pt'));
    expect(ours.tensors.map((t) => t.name).sort()).toEqual(torch.tensors.map((t) => t.name).sort());
    for (const t of torch.tensors) {
      const want = toFloat32(await t.read(), t.dtype);
      const o = ours.tensors.find((x) => x.name === t.name)!;
      const got = toFloat32(await o.read(), o.dtype);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i])));
    }
    await ours.close();
    await torch.close();
  });
});
