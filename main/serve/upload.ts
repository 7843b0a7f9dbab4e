// Serve mode's upload: a browser never tells the page where a dropped file lives, so the page sends the file's
// bytes instead (POST /api/upload?name=NAME) and the server keeps them as <workspace>/imports/<time>-<name>,
// which the page then opens by that path like a picked file. Guarded like the page itself (host, token, and the
// Origin the WebSocket needs too); streamed to disk under a size cap; never replaces a file.
import type http from 'node:http';
import fs from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describeWriteError } from '../engine/files/disk-errors';
import { tempPathFor } from '../engine/files/temp-files';
import { hasToken } from './auth';
import { allowedHosts, allowedOrigins, BadRequest, loggedTarget, peer, requestUrl } from './request';

export const UPLOAD_PATH = '/api/upload';
/** What may be dropped: model files and recipes. Folders and anything else are opened by path instead. */
export const UPLOAD_EXTENSIONS = ['.safetensors', '.pt', '.pth', '.bin', '.ckpt', '.onnx', '.yaml', '.yml'];
export const MAX_UPLOAD_ENV = 'MERGE_STUDIO_MAX_UPLOAD';
const DEFAULT_MAX_UPLOAD = 8 * 1024 ** 3;
const NAME_MAX = 120;

export interface UploadSite {
  token: string;
  port(): number;
  log(line: string): void;
  engine: { call(name: string, args: unknown): Promise<unknown> };
  maxUploadBytes: number;
}

/** MERGE_STUDIO_MAX_UPLOAD as bytes: a whole number, or one with K, M, G or T (binary units); 8 GiB when unset. */
export function maxUploadBytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = env[MAX_UPLOAD_ENV]?.trim();
  if (!v) return DEFAULT_MAX_UPLOAD;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(v);
  const n = m ? Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()) : NaN;
  if (!Number.isFinite(n) || n < 1) throw new Error(`${MAX_UPLOAD_ENV}=${v} is not a size: give bytes, or a number with K, M, G or T (e.g. 16G)`);
  return Math.floor(n);
}

/**
 * The name a file is kept under: the last part of what was sent (no folders, no "..", no hidden file), letters,
 * digits and . _ - + ( ) only, with one of the accepted extensions. BadRequest for a name that leaves nothing.
 */
export function uploadName(sent: string): string {
  const last = sent.split(/[\\/]/).pop() ?? '';
  const plain = last.normalize('NFC').replace(/[^\p{L}\p{N}._+()-]+/gu, '_').replace(/^[._]+/, '');
  const ext = path.extname(plain).toLowerCase();
  if (!plain || !ext || plain === ext) throw new BadRequest('the file has no name to keep it under');
  if (!UPLOAD_EXTENSIONS.includes(ext)) throw new UnsupportedType(last, ext);
  const stem = plain.slice(0, plain.length - ext.length).slice(0, NAME_MAX - ext.length);
  return `${stem}${plain.slice(plain.length - ext.length)}`;
}

class UnsupportedType extends Error {
  constructor(name: string, ext: string) {
    super(`${name}: ${ext || 'a file without an extension'} cannot be opened here; drop a model file (${UPLOAD_EXTENSIONS.slice(0, 6).join(', ')}) or a recipe (.yaml, .yml)`);
  }
}

class TooBig extends Error {
  constructor(limit: number) {
    super(`the file is larger than uploads may be (${formatSize(limit)}); open it by its path instead (type the path or use Open files…), or raise ${MAX_UPLOAD_ENV} where merge-studio serve starts`);
  }
}

class BrokeOff extends Error {
  constructor() { super('the upload broke off before the whole file arrived; nothing was kept'); }
}

function formatSize(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
}

/** 20261122-175732, as run folders are named: sorts by time and reads well in a file list. */
function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Claims a new file in `dir` for `name` (exclusive create, so an existing file is never replaced). */
async function claimName(dir: string, name: string): Promise<string> {
  const base = `${stamp(new Date())}-${name}`;
  for (let i = 1; ; i++) {
    const file = path.join(dir, i === 1 ? base : `${stamp(new Date())}-${i}-${name}`);
    try {
      await fs.promises.writeFile(file, '', { flag: 'wx' });
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** How long a refused upload's remaining bytes are read and dropped before its connection is closed. */
const LINGER_MS = 2000;

/** Counts the bytes passing and fails once they pass `limit`. */
function capped(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > limit ? new TooBig(limit) : null, chunk);
    },
  });
}

function reply(res: http.ServerResponse, code: number, body: unknown): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(code, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function receive(req: http.IncomingMessage, res: http.ServerResponse, site: UploadSite): Promise<void> {
  const url = requestUrl(req);
  if (!allowedHosts(site.port()).includes(req.headers.host ?? '')) return reply(res, 403, { error: 'forbidden host' });
  // a page on another 127.0.0.1 port shares our cookie (cookies ignore ports): its Origin gives it away
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedOrigins(site.port()).includes(origin)) return reply(res, 403, { error: 'forbidden origin' });
  if (!hasToken(req, url, site.token)) return reply(res, 401, { error: 'missing or wrong token: open the URL that `merge-studio serve` printed' });
  if (req.method !== 'POST') return reply(res, 405, { error: 'method not allowed' });
  const name = uploadName(url.searchParams.get('name') ?? '');
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (declared !== undefined && declared > site.maxUploadBytes) throw new TooBig(site.maxUploadBytes);

  const env = (await site.engine.call('getEnvironment', {})) as { workspace: string };
  const dir = path.join(env.workspace, 'imports');
  await fs.promises.mkdir(dir, { recursive: true });
  const target = await claimName(dir, name);
  const temp = tempPathFor(target);
  // The request feeds a pass-through rather than the pipeline itself: a failed pipeline destroys its streams, and
  // a destroyed request takes its socket along, before the refusal could be answered.
  const body = new PassThrough();
  req.once('close', () => { if (!req.complete) body.destroy(new BrokeOff()); });
  req.pipe(body);
  try {
    await pipeline(body, capped(site.maxUploadBytes), fs.createWriteStream(temp, { flags: 'wx' }));
    await fs.promises.rename(temp, target); // onto our own empty claim, never onto another file
  } catch (e) {
    req.unpipe(body);
    // the rest of a body past the cap is read and dropped (for a moment at most) before the answer goes out:
    // an answer to a request still arriving may be lost to the connection's reset
    const drained = drainBriefly(req);
    await rm(temp, { force: true });
    await rm(target, { force: true });
    await drained;
    if (e instanceof TooBig || e instanceof BrokeOff) throw e;
    throw describeWriteError(target, e, declared);
  }
  const bytes = (await fs.promises.stat(target)).size;
  reply(res, 201, { path: target, name: path.basename(target), bytes });
}

/** Reads and drops what is left of `req`; resolves when it has all arrived, or after LINGER_MS. */
function drainBriefly(req: http.IncomingMessage): Promise<void> {
  if (req.complete) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, LINGER_MS);
    timer.unref();
    const done = () => { clearTimeout(timer); resolve(); };
    req.once('end', done);
    req.once('close', done);
    req.resume();
  });
}

/**
 * Lingering close for a refused upload whose body is still arriving: the rest is read and dropped for a moment
 * (drainBriefly), then the connection is cut. Closing at once on unread bytes resets the connection, and the
 * client may then lose the answer it was sent (so it never learns why).
 */
function drainThenClose(req: http.IncomingMessage): void {
  if (req.complete) return;
  req.unpipe();
  void drainBriefly(req).then(() => { if (!req.complete) req.destroy(); });
}

/** The upload's request listener; every refusal is an answer with a reason and a log line, never a crash. */
export function uploadHandler(site: UploadSite): http.RequestListener {
  return (req, res) => {
    receive(req, res, site).catch((err: Error) => {
      const code = err instanceof TooBig ? 413 : err instanceof UnsupportedType ? 415 : err instanceof BadRequest ? 400 : 500;
      site.log(`refused an upload ${req.method} ${loggedTarget(req)} from ${peer(req)}: ${err.message}`);
      reply(res, code, { error: code === 500 && !/^cannot write|broke off/.test(err.message) ? `could not keep the upload: ${err.message}` : err.message });
    }).finally(() => drainThenClose(req));
  };
}

/** True for a request to the upload's path. */
export function isUpload(req: http.IncomingMessage): boolean {
  return (req.url ?? '').split('?')[0] === UPLOAD_PATH;
}
