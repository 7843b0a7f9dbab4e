// A failed write said in words: which file, why, and for a full disk how much space it needed and how
// much is free, with what to do. Raw errors ("ENOSPC: no space left on device, write") name neither.
import { existsSync, statSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { parseTempName } from './temp-files';

function megabytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${Math.ceil(n / 1e3)} kB` : `${n} byte${n === 1 ? '' : 's'}`;
}

/** Free bytes on the disk that holds `file` (its nearest existing folder), or undefined when unknown. */
export function freeBytesAt(file: string): number | undefined {
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    try {
      const s = statfsSync(dir);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
  }
}

/** The nearest of `dir` and its parents that exists (the root at worst). */
function nearestExisting(dir: string): string {
  let d = path.resolve(dir);
  while (!existsSync(d)) {
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  return d;
}

/**
 * Why nothing can be written in the folder `dir`, said from the folder itself (a missing folder, a file where
 * a folder should be, no permission, a read-only disk), given the error `code` a write or mkdir there got.
 * Undefined when the folder is fine and the cause lies elsewhere. Raw errors name our hidden temp file instead.
 */
export function folderProblem(dir: string, code: string | undefined): { problem: string; hint: string } | undefined {
  const abs = path.resolve(dir);
  const existing = nearestExisting(abs);
  let isDir = false;
  try { isDir = statSync(existing).isDirectory(); } catch { /* vanished meanwhile: judged as missing below */ }
  if (existsSync(existing) && !isDir) return { problem: `${existing} is a file, not a folder`, hint: 'choose another folder' };
  if (code === 'EACCES' || code === 'EPERM') return { problem: `permission denied in the folder ${existing} (${code})`, hint: 'choose a folder you can write to' };
  if (code === 'EROFS') return { problem: `the folder ${existing} is on a read-only disk (EROFS)`, hint: 'choose a folder on another disk' };
  if ((code === 'ENOENT' || code === 'ENOTDIR') && existing !== abs) return { problem: `the folder ${abs} does not exist`, hint: 'create it or choose another folder' };
  return undefined;
}

export function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export class WriteFailedError extends Error {
  constructor(readonly file: string, message: string, readonly code?: string, readonly neededBytes?: number, readonly original?: unknown) {
    super(message);
    this.name = 'WriteFailedError';
  }

  get diskFull(): boolean { return this.code === 'ENOSPC' || this.code === 'EDQUOT'; }

  /** The same error said again, e.g. once the partial file is removed (the free space then counts without it). */
  restated(left?: string): WriteFailedError {
    return describeWriteError(this.file, this.original, this.neededBytes, left) as WriteFailedError;
  }
}

/**
 * `e` (from writing `file`) as an error that names the file and the cause. `neededBytes`: how big the
 * file was to be. `left`: what the caller left behind ("nothing was left at …" by default).
 */
export function describeWriteError(file: string, e: unknown, neededBytes?: number, left = `nothing was left at ${file}`): WriteFailedError {
  if (e instanceof WriteFailedError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (isDiskFull(e)) {
    const free = freeBytesAt(file);
    const need = neededBytes !== undefined ? `it needs ${megabytes(neededBytes)}` : 'it needs more space';
    const have = free !== undefined ? `, ${megabytes(free)} ${free === 1 ? 'is' : 'are'} free on that disk` : '';
    return new WriteFailedError(file, `cannot write ${file}: the disk is full (${code}): ${need}${have} — free some space or choose a folder on another disk; ${left}`, code, neededBytes, e);
  }
  const folder = folderProblem(path.dirname(file), code);
  if (folder) return new WriteFailedError(file, `cannot write ${file}: ${folder.problem} — ${folder.hint}; ${left}`, code, neededBytes, e);
  // a raw message names the hidden temp file the bytes went to first: the user knows the file by its own name
  const raw = ((e as Error)?.message ?? String(e)).replace(/'[^']*'/g, (q) => (parseTempName(path.basename(q.slice(1, -1))) ? `'${file}'` : q));
  const err = new WriteFailedError(file, `writing ${file} failed: ${raw}; ${left}`, code, neededBytes, e);
  (err as Error & { cause?: unknown }).cause = e;
  return err;
}
