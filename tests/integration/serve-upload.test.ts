// Serve mode's upload (a file dropped on the page): kept in <workspace>/imports under a plain name, streamed under
// a size cap, refused without the token or from another origin, never replacing a file; the engine then opens
// the kept file like any picked one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../../main/engine/engine';
import { startServer, type RunningServer } from '../../main/serve/server';
import { maxUploadBytes, uploadName } from '../../main/serve/upload';

const FIX = path.resolve(__dirname, '../fixtures/merge');
const CAP = 64 * 1024;
let server: RunningServer;
let dir: string;
let imports: string;
let engine: ReturnType<typeof createEngine>;
const savedWorkspace = process.env.MERGE_STUDIO_WORKSPACE;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-upload-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Merge Studio</title>');
  process.env.MERGE_STUDIO_WORKSPACE = path.join(dir, 'workspace');
  imports = path.join(dir, 'workspace', 'imports');
  engine = createEngine((e) => server?.broadcast(e), 'browser');
  server = await startServer({ port: 0, rendererDir: dir, engine: { call: (n, a) => engine.call(n as never, a) }, maxUploadBytes: CAP, log: () => {} });
});
afterAll(async () => {
  await server?.close();
  if (savedWorkspace === undefined) delete process.env.MERGE_STUDIO_WORKSPACE; else process.env.MERGE_STUDIO_WORKSPACE = savedWorkspace;
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Sent { token?: string; origin?: string; chunked?: boolean; declaredLength?: number }

/** POSTs `body` as the page does; resolves with the status and the JSON answer. */
function upload(name: string, body: Buffer, o: Sent = {}): Promise<{ status: number; json: { path?: string; name?: string; bytes?: number; error?: string } }> {
  return new Promise((resolve, reject) => {
    const token = o.token ?? server.token;
    const headers: http.OutgoingHttpHeaders = { Host: `127.0.0.1:${server.port}`, Origin: o.origin ?? `http://127.0.0.1:${server.port}` };
    if (!o.chunked) headers['Content-Length'] = o.declaredLength ?? body.length;
    let status = 0;
    // agent: false — a connection of its own: a refused upload's connection is drained and closed, never shared
    const req = http.request({ agent: false, host: '127.0.0.1', port: server.port, method: 'POST', path: `/api/upload?name=${encodeURIComponent(name)}&token=${encodeURIComponent(token)}`, headers }, (res) => {
      status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') }));
      // the server closes a refused upload's connection: an answer whose body was cut off still counts by its status
      res.on('aborted', () => resolve({ status, json: {} }));
    });
    // writing on after the answer may break the pipe; an error before any answer fails the test at once
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (status && (e.code === 'EPIPE' || e.code === 'ECONNRESET')) resolve({ status, json: {} });
      else reject(e);
    });
    if (o.chunked) {
      // in pieces, with no length given: the cap must hold while the bytes arrive
      let at = 0;
      const next = () => {
        if (at >= body.length || req.destroyed) return void req.end();
        req.write(body.subarray(at, at + 8192), () => setImmediate(next));
        at += 8192;
      };
      next();
    } else if (o.declaredLength === undefined) req.end(body);
    else req.end(body.subarray(0, Math.min(body.length, 16)));
  });
}

/** Every entry in the imports folder, hidden temp files included. */
const importsNow = () => (fs.existsSync(imports) ? fs.readdirSync(imports).sort() : []);

describe('POST /api/upload', () => {
  it('keeps a dropped model in <workspace>/imports/<time>-<name>, byte for byte, and the engine opens it', async () => {
    const bytes = fs.readFileSync(path.join(FIX, 'cnn_0.pt'));
    const r = await upload('cnn_0.pt', bytes);
    expect(r.status).toBe(201);
    expect(path.dirname(r.json.path!)).toBe(imports);
    expect(path.basename(r.json.path!)).toMatch(/^\d{8}-\d{6}-cnn_0\.pt$/);
    expect(r.json.bytes).toBe(bytes.length);
    expect(fs.readFileSync(r.json.path!).equals(bytes)).toBe(true);
    const opened = await engine.call('openModel', { path: r.json.path! }) as { inspection: { format: string; tensors: unknown[] } };
    expect(opened.inspection.format).toBe('pytorch');
    expect(opened.inspection.tensors.length).toBeGreaterThan(0);
  });

  it('never replaces a file: the same name twice gives two files, the first unchanged', async () => {
    const a = fs.readFileSync(path.join(FIX, 'cnn_1.pt'));
    const b = fs.readFileSync(path.join(FIX, 'cnn_2.pt'));
    const first = await upload('same.pt', a);
    const second = await upload('same.pt', b);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.json.path).not.toBe(first.json.path);
    expect(fs.readFileSync(first.json.path!).equals(a)).toBe(true);
    expect(fs.readFileSync(second.json.path!).equals(b)).toBe(true);
  });

  it('keeps a name with folders or ".." inside the imports folder', async () => {
    const bytes = Buffer.from('method: mean\n');
    for (const name of ['../../escape.yaml', '..\\..\\win.yml', '/etc/abs.yaml', 'sub/dir/..%2F..%2Fx.yaml']) {
      const r = await upload(name, bytes);
      expect(r.status, name).toBe(201);
      expect(path.dirname(r.json.path!), name).toBe(imports);
      expect(r.json.name, name).not.toMatch(/[\\/]|^\./);
    }
    expect(fs.existsSync(path.join(dir, 'escape.yaml'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'workspace', 'escape.yaml'))).toBe(false);
  });

  it('refuses a name that leaves nothing, and a type it cannot open, writing nothing', async () => {
    const before = importsNow();
    expect((await upload('..', Buffer.from('x'))).status).toBe(400);
    expect((await upload('.safetensors', Buffer.from('x'))).status).toBe(400);
    const txt = await upload('notes.txt', Buffer.from('x'));
    expect(txt.status).toBe(415);
    expect(txt.json.error).toMatch(/\.txt cannot be opened here/);
    expect(importsNow()).toEqual(before);
  });

  it('refuses a file over the cap from its declared length, before reading it', async () => {
    const before = importsNow();
    const r = await upload('big.safetensors', Buffer.alloc(CAP + 1), { declaredLength: 10 * 1024 ** 3 });
    expect(r.status).toBe(413);
    expect(r.json.error).toMatch(/larger than uploads may be \(64 KiB\).*MERGE_STUDIO_MAX_UPLOAD/);
    expect(importsNow()).toEqual(before);
  });

  it('stops a file that grows past the cap while it arrives, and leaves no partial file', async () => {
    const before = importsNow();
    const r = await upload('grows.safetensors', Buffer.alloc(CAP * 4, 7), { chunked: true });
    expect(r.status).toBe(413);
    expect(importsNow()).toEqual(before);
  });

  it('refuses without the token, or from a page of another origin', async () => {
    const before = importsNow();
    const noToken = await upload('x.pt', Buffer.from('x'), { token: 'wrong' });
    expect(noToken.status).toBe(401);
    const foreign = await upload('x.pt', Buffer.from('x'), { origin: 'http://127.0.0.1:1' });
    expect(foreign.status).toBe(403);
    expect(importsNow()).toEqual(before);
  });
});

describe('upload names and limits', () => {
  it('keeps letters of any script and drops what a file name should not hold', () => {
    expect(uploadName('Modèle final (v2).safetensors')).toBe('Modèle_final_(v2).safetensors');
    expect(uploadName('a\u202Egnp.pt')).toBe('a_gnp.pt');
    expect(uploadName('MODEL.PT')).toBe('MODEL.PT');
  });

  it('reads MERGE_STUDIO_MAX_UPLOAD in bytes or binary units, and refuses a malformed one', () => {
    expect(maxUploadBytes({})).toBe(8 * 1024 ** 3);
    expect(maxUploadBytes({ MERGE_STUDIO_MAX_UPLOAD: '16G' })).toBe(16 * 1024 ** 3);
    expect(maxUploadBytes({ MERGE_STUDIO_MAX_UPLOAD: '512MiB' })).toBe(512 * 1024 ** 2);
    expect(maxUploadBytes({ MERGE_STUDIO_MAX_UPLOAD: '1000' })).toBe(1000);
    expect(() => maxUploadBytes({ MERGE_STUDIO_MAX_UPLOAD: 'lots' })).toThrow(/MERGE_STUDIO_MAX_UPLOAD=lots is not a size/);
  });
});
