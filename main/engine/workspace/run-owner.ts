// Who is running a run: each run.json records its process (pid, start time, host) while it runs, and this
// process keeps the set of run folders it is working on. A run.json that says "running" whose process is
// gone was interrupted (kill -9, a crash, a power cut) and is marked so by the sweep (leftovers.ts).
import os from 'node:os';
import path from 'node:path';
import { processGone, processStartTime } from '../files/temp-files';

export interface RunOwner { pid: number; pidStart?: string; host: string }

/** This process, as run.json records it. */
export function ownerStamp(): RunOwner {
  const pidStart = processStartTime(process.pid);
  return { pid: process.pid, ...(pidStart ? { pidStart } : {}), host: os.hostname() };
}

const active = new Set<string>();

/** This process works on `dir` until releaseRun. */
export function claimRun(dir: string): void { active.add(path.resolve(dir)); }
export function releaseRun(dir: string): void { active.delete(path.resolve(dir)); }
/** The run folders this process works on now (what a shutdown must settle). */
export function activeRuns(): string[] { return [...active]; }

/**
 * True when the process recorded for the run in `dir` is certainly gone. Another machine's run (a shared
 * folder) cannot be judged from here and is left alone; so is a record without an owner.
 */
export function ownerGone(dir: string, record: { pid?: unknown; pidStart?: unknown; host?: unknown }): boolean {
  if (typeof record.pid !== 'number' || typeof record.host !== 'string' || record.host !== os.hostname()) return false;
  if (record.pid === process.pid) return !active.has(path.resolve(dir));
  return processGone(record.pid, typeof record.pidStart === 'string' ? record.pidStart : undefined);
}
