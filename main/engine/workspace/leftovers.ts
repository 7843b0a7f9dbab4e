// After kill -9, a crash or a full disk: what our dead processes left behind. On engine start and before
// each run, temp files of ours whose process is gone are removed (in the workspace, its run folders and the
// folders a run writes to), and runs whose run.json still says "running" while their process is gone are
// marked "interrupted". Files of live processes are never touched.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { removeStaleTemps } from '../files/temp-files';
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

/** Marks the run in `dir` interrupted when its run.json says running and its process is gone; returns the folders its files went to. */
async function settleRun(dir: string, report: SweepReport): Promise<string[]> {
  const file = path.join(dir, 'run.json');
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return []; // no run here, or a damaged record: nothing to judge
  }
  if (!record || typeof record !== 'object' || record.status !== 'running' || !ownerGone(dir, record)) return [];
  const now = new Date().toISOString();
  const updated = {
    ...record,
    status: 'interrupted',
    interruptedAt: now,
    error: typeof record.error === 'string' ? record.error
      : `interrupted: the process that ran it (pid ${record.pid}) ended before the run finished (killed, crashed or the machine stopped); its partial output was removed`,
  };
  try {
    await writeFileAtomic(file, `${JSON.stringify(updated, null, 2)}\n`, { mkdir: false });
    report.interrupted.push(dir);
  } catch { /* a read-only or full disk: left as it is, tried again next time */ }
  // A merge writes its output beside the output path, which may lie outside the run folder.
  return typeof record.output === 'string' ? [path.dirname(record.output)]
    : record.output && typeof (record.output as { path?: unknown }).path === 'string' ? [path.dirname((record.output as { path: string }).path)] : [];
}

/**
 * Sweeps the workspace (its runs/* folders, their checkpoints/, cache/) and `dirs` (run or output folders
 * about to be written). Never throws: a sweep that cannot read a folder skips it.
 */
export async function sweepLeftovers(options: { workspace?: string; dirs?: string[] }): Promise<SweepReport> {
  const report: SweepReport = { removed: [], interrupted: [] };
  const runDirs: string[] = [];
  const tempDirs = new Set<string>();
  if (options.workspace) {
    const ws = path.resolve(options.workspace);
    for (const d of [ws, path.join(ws, 'cache'), path.join(ws, 'runs')]) tempDirs.add(d);
    runDirs.push(...(await subfolders(path.join(ws, 'runs'))));
  }
  for (const d of options.dirs ?? []) runDirs.push(path.resolve(d));
  for (const dir of runDirs) {
    tempDirs.add(dir);
    tempDirs.add(path.join(dir, 'checkpoints'));
    for (const out of await settleRun(dir, report)) tempDirs.add(out);
  }
  for (const d of tempDirs) report.removed.push(...(await removeStaleTemps(d)));
  return report;
}

/** The sweep in one line for a log, or undefined when it found nothing. */
export function describeSweep(r: SweepReport): string | undefined {
  const parts: string[] = [];
  if (r.removed.length) parts.push(`removed ${r.removed.length} temp file${r.removed.length === 1 ? '' : 's'} left by a process that is gone (${r.removed.map((f) => path.basename(f)).slice(0, 3).join(', ')}${r.removed.length > 3 ? ', …' : ''})`);
  if (r.interrupted.length) parts.push(`marked ${r.interrupted.length} run${r.interrupted.length === 1 ? '' : 's'} interrupted (${r.interrupted.map((d) => path.basename(d)).slice(0, 3).join(', ')}${r.interrupted.length > 3 ? ', …' : ''})`);
  return parts.length ? `cleanup after an earlier crash: ${parts.join('; ')}` : undefined;
}
