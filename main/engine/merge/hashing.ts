// SHA-256 of whole files in a worker thread, so hashing runs beside the main thread's work (opening,
// planning, merging) instead of blocking it. The worker is plain JS passed inline, so it needs no build
// step and runs the same under tsx, vitest, the CLI and Electron's utility process.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../jobs/context';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const buf = Buffer.allocUnsafe(8 << 20);
for (const file of workerData.files) {
  try {
    const hash = crypto.createHash('sha256');
    const fd = fs.openSync(file, 'r');
    let bytes = 0;
    try {
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        hash.update(buf.subarray(0, n));
        bytes += n;
      }
    } finally { fs.closeSync(fd); }
    parentPort.postMessage({ file, sha256: hash.digest('hex'), bytes });
  } catch (e) {
    parentPort.postMessage({ file, error: String(e && e.message || e) });
  }
}
`;

export interface FileHash {
  file: string;
  sha256: string;
  bytes: number;
}

/**
 * Hashes every byte of each file, up to `concurrency` files at once (one worker each; default: one per
 * core, at most one per file). Rejects with CancelledError when `signal` aborts (the workers are stopped).
 */
export async function hashFiles(files: string[], signal?: AbortSignal, concurrency = Math.max(1, availableParallelism())): Promise<FileHash[]> {
  if (files.length === 0) return [];
  const results = new Map<string, FileHash>();
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < files.length && !failed) {
      const file = files[next++];
      try {
        for (const h of await hashInWorker([file], signal)) results.set(h.file, h);
      } catch (e) {
        failed = true; // the other lanes stop after their current file
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, lane));
  return files.map((f) => results.get(f)!);
}

function hashInWorker(files: string[], signal?: AbortSignal): Promise<FileHash[]> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new CancelledError()); return; }
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { files } });
    const results: FileHash[] = [];
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (err) reject(err); else resolve(results);
    };
    const onAbort = () => done(new CancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: FileHash & { error?: string }) => {
      if (m.error) { done(new Error(`cannot hash ${m.file}: ${m.error}`)); return; }
      results.push({ file: m.file, sha256: m.sha256, bytes: m.bytes });
      if (results.length === files.length) done();
    });
    worker.on('error', (e) => done(e));
    worker.on('exit', (code) => { if (!settled) done(new Error(`hashing worker stopped early (exit code ${code})`)); });
  });
}
