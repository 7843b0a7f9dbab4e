// After kill -9, a crash or a full disk: what our dead processes left behind. On engine start and before
// each run, temp files of ours whose process is gone are removed (in the workspace, its run folders and the
// folders a run writes to), and runs whose run.json still says "running" while their process is gone are
// marked "interrupted". Files of live processes are never touched. A process stopped by a signal does the
// same for its own runs before it exits (settleOwnRuns).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { removeOwnTemps, removeStaleTemps } from '../files/temp-files';
import { writeFileAtomic } from '../files/writeAtomic';
import { ownerGone } from './run-owner';

export interface SweepReport {
  /** Temp files removed. */
  removed: string[];
  /** Run folders marked interrupted. */
  interrupted: string[];
}

async function subfolders(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name));
  } catch {
    return [];
  }
}

/** Why the run with this record is to be marked interrupted (its error, unless it has one), or undefined to leave it. */
type Verdict = (dir: string, record: Record<string, unknown>) => string | undefined;

/** A run that says running while its process is gone. */
const ownerDied: Verdict = (dir, record) => (record.status === 'running' && ownerGone(dir, record)
  ? `interrupted: the process that ran it (pid ${record.pid}) ended before the run finished (killed, crashed or the machine stopped); its partial output was removed`
  : undefined);

/** Marks the run in `dir` interrupted when the verdict says so; returns the folders its files went to. */
async function settleRun(dir: string, report: SweepReport, verdict: Verdict): Promise<string[]> {
  const file = path.join(dir, 'run.json');
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return []; // no run here, or a damaged record: nothing to judge
  }
  const reason = record && typeof record === 'object' ? verdict(dir, record) : undefined;
  if (reason === undefined) return [];
  const now = new Date().toISOString();
  const updated = { ...record, status: 'interrupted', interruptedAt: now, error: typeof record.error === 'string' ? record.error : reason };
  try {
    await writeFileAtomic(file, `${JSON.stringify(updated, null, 2)}\n`, { mkdir: false });
    report.interrupted.push(dir);
  } catch { /* a read-only or full disk: left as it is, tried again next time */ }
  // A merge writes its output beside the output path, which may lie outside the run folder.
  return typeof record.output === 'string' ? [path.dirname(record.output)]
    : record.output && typeof (record.output as { path?: unknown }).path === 'string' ? [path.dirname((record.output as { path: string }).path)] : [];
}

/** Settles `runDirs` by the verdict, then removes temp files (those `removeTemps` takes) in the workspace, the runs and their outputs. */
async function sweep(workspace: string | undefined, runDirs: string[], verdict: Verdict, removeTemps: (dir: string) => Promise<string[]>): Promise<SweepReport> {
  const report: SweepReport = { removed: [], interrupted: [] };
  const tempDirs = new Set<string>();
  if (workspace) {
    const ws = path.resolve(workspace);
    for (const d of [ws, path.join(ws, 'cache'), path.join(ws, 'runs')]) tempDirs.add(d);
  }
  for (const dir of runDirs) {
    tempDirs.add(dir);
    tempDirs.add(path.join(dir, 'checkpoints'));
    for (const out of await settleRun(dir, report, verdict)) tempDirs.add(out);
  }
  for (const d of tempDirs) report.removed.push(...(await removeTemps(d)));
  return report;
}

/**
 * Sweeps the workspace (its runs/* folders, their checkpoints/, cache/) and `dirs` (run or output folders
 * about to be written). Never throws: a sweep that cannot read a folder skips it.
 */
export async function sweepLeftovers(options: { workspace?: string; dirs?: string[] }): Promise<SweepReport> {
  const runDirs = options.workspace ? await subfolders(path.join(path.resolve(options.workspace), 'runs')) : [];
  for (const d of options.dirs ?? []) runDirs.push(path.resolve(d));
  return sweep(options.workspace, runDirs, ownerDied, removeStaleTemps);
}

/**
 * What this process does itself before it exits on a signal, rather than leave it to the next start: the
 * runs it was working on (`runs`) that still say running, or cancelled by the shutdown, are marked
 * interrupted (with `reason`), and its own temp files in the workspace, those runs and their output
 * folders are removed. Never throws.
 */
export function settleOwnRuns(options: { workspace?: string; runs: string[]; reason: string }): Promise<SweepReport> {
  const stopped: Verdict = (_dir, record) => (record.status === 'running' || record.status === 'cancelled' ? options.reason : undefined);
  return sweep(options.workspace, options.runs.map((d) => path.resolve(d)), stopped, removeOwnTemps);
}

/** The sweep in one line for a log, or undefined when it found nothing. */
export function describeSweep(r: SweepReport): string | undefined {
  const parts: string[] = [];
  if (r.removed.length) parts.push(`removed ${r.removed.length} temp file${r.removed.length === 1 ? '' : 's'} left by a process that is gone (${r.removed.map((f) => path.basename(f)).slice(0, 3).join(', ')}${r.removed.length > 3 ? ', …' : ''})`);
  if (r.interrupted.length) parts.push(`marked ${r.interrupted.length} run${r.interrupted.length === 1 ? '' : 's'} interrupted (${r.interrupted.map((d) => path.basename(d)).slice(0, 3).join(', ')}${r.interrupted.length > 3 ? ', …' : ''})`);
  return parts.length ? `cleanup after an earlier crash: ${parts.join('; ')}` : undefined;
}
