// A failed write said in words: which file, why, and for a full disk how much space it needed and how
// much is free, with what to do. Raw errors ("ENOSPC: no space left on device, write") name neither.
import { statfsSync } from 'node:fs';
import path from 'node:path';

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
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new WriteFailedError(file, `cannot write ${file}: ${code === 'EROFS' ? 'the disk is read-only' : 'permission denied'} (${code}) — choose a folder you can write to; ${left}`, code, neededBytes, e);
  }
  const err = new WriteFailedError(file, `writing ${file} failed: ${(e as Error)?.message ?? String(e)}; ${left}`, code, neededBytes, e);
  (err as Error & { cause?: unknown }).cause = e;
  return err;
}
