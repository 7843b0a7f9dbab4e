// Our temp files: every file we write goes first to `.<name>.<pid>-<8 hex>.tmp` beside its target and is
// renamed into place when complete. The pid in the name tells, after a crash or kill -9, whose it was:
// one whose process is gone is a leftover (as big as the output it was becoming) and may be removed.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

const TEMP_NAME = /^\.(.+)\.(\d+)-([0-9a-f]{8})\.tmp$/;

/** A fresh temp path beside `target`, owned by this process. */
export function tempPathFor(target: string): string {
  const abs = path.resolve(target);
  return path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** The target and owner of one of our temp files, from its name; undefined for any other name. */
export function parseTempName(name: string): { target: string; pid: number } | undefined {
  const m = TEMP_NAME.exec(name);
  if (!m) return undefined;
  const pid = Number(m[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? { target: m[1], pid } : undefined;
}

/** When the process started (Linux: clock ticks since boot), to tell a reused pid from the one recorded. */
export function processStartTime(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name (field 2) may hold spaces and parentheses: count fields after its last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True when no process with this pid exists (or, given its recorded start time, the pid now belongs to another). */
export function processGone(pid: number, startTime?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: it exists, owned by someone else
  }
  if (startTime === undefined) return false;
  const now = processStartTime(pid);
  return now !== undefined && now !== startTime;
}

/**
 * Removes our temp files in `dir` (not below it) whose process is gone; a live process's temp files,
 * ours included, are never touched. Returns the paths removed. A folder that does not exist is no error.
 */
export function removeStaleTemps(dir: string): Promise<string[]> {
  return removeTempsOf(dir, (pid) => pid !== process.pid && processGone(pid));
}

/** Removes this process's own temp files in `dir` (not below it): what it leaves undone as it exits. */
export function removeOwnTemps(dir: string): Promise<string[]> {
  return removeTempsOf(dir, (pid) => pid === process.pid);
}

async function removeTempsOf(dir: string, owned: (pid: number) => boolean): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = parseTempName(name);
    if (!owner || !owned(owner.pid)) continue;
    const file = path.join(dir, name);
    try {
      await rm(file, { force: true });
      removed.push(file);
    } catch { /* not ours to remove after all (permissions): leave it */ }
  }
  return removed;
}
