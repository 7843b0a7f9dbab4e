// The run folder: <workspace>/runs/<time>-<slug>/ with recipe.yaml (the settings), run.json (id, label, status,
// timings, inputs, outputs, environment, the process running it), log.txt and metrics.jsonl — plain files, so
// history is a scan of the folder. Every job that writes or measures anything records one (merge, train, align,
// curve, eval, soup, search, plane, doctor, verify). A run folder is whole or absent: if it cannot be made (a full disk), nothing of
// it is left.
import { appendFile, mkdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeWriteError } from '../files/disk-errors';
import { writeFileAtomic } from '../files/writeAtomic';
import { claimRun, ownerStamp, releaseRun, type RunOwner } from './run-owner';

/** `interrupted`: the process died while it ran (set by the sweep in jobs/leftovers.ts). */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** What a run did; comparisons and single evaluations are both `eval`. Training runs write their own run.json (train/). */
export type RunKind = 'merge' | 'eval' | 'soup' | 'search' | 'align' | 'curve' | 'train' | 'plane' | 'doctor' | 'verify';

/** A file a run read, with its SHA-256 when it was hashed. */
export interface RunInput { path: string; sha256?: string; role?: string }

export interface RunRecord extends RunOwner {
  /** The folder's name: how `runs --label ID` and the history name the run. */
  id: string;
  /** What the user calls it ("merge · mean of epoch-004, epoch-005"); editable (history.ts renameRun). */
  label: string;
  kind: RunKind;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  seconds?: number;
  environment: { node: string; platform: string; arch: string; cpus: number; memoryBytes: number };
  [key: string]: unknown;
}

export function slugOf(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'run';
}

/** 20261122-175732 in local time: sorts by time and reads well in a file list. */
function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** What a run's record holds from its start: kind and label, and anything else (method, dataset, inputs…). */
export type RunStart = Record<string, unknown> & { kind: RunKind; label: string };

/** The run folder of this workspace for the id `id` (its name). */
export function runDirOf(workspace: string, id: string): string {
  return path.join(workspace, 'runs', id);
}

/**
 * A new, empty folder <workspace>/runs/<time>-<slug>[-N]/, made now (so two runs started in one second get
 * two folders). Training uses it for its default output folder; RunFolder.create for the others.
 */
export async function makeRunDir(workspace: string, slug: string): Promise<string> {
  const base = runDirOf(workspace, `${stamp(new Date())}-${slugOf(slug)}`);
  let dir = base;
  try {
    for (let i = 2; ; i++) {
      try { await mkdir(dir, { recursive: false }); return dir; } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') { await mkdir(path.dirname(dir), { recursive: true }); continue; }
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        dir = `${base}-${i}`;
      }
    }
  } catch (e) {
    throw describeWriteError(dir, e, undefined, 'no run folder was made');
  }
}

/** Lines appended in order to a file made on the first line (so no empty log is ever left); the first failure is kept. */
class LineFile {
  private chain: Promise<void> = Promise.resolve();
  failure: unknown;
  constructor(readonly file: string) {}
  append(line: string): void {
    this.chain = this.chain.then(() => (this.failure ? undefined : appendFile(this.file, line))).catch((e) => { this.failure ??= e; });
  }
  async close(): Promise<void> {
    await this.chain;
    // a first write the disk refused leaves an empty file behind: not a log
    if (this.failure) await stat(this.file).then((s) => (s.size === 0 ? rm(this.file, { force: true }) : undefined), () => {});
  }
}

export class RunFolder {
  private readonly logFile: LineFile;
  private readonly metricsFile: LineFile;
  private record: RunRecord;
  private readonly started = Date.now();

  private constructor(readonly dir: string, extra: RunStart) {
    this.logFile = new LineFile(path.join(dir, 'log.txt'));
    this.metricsFile = new LineFile(path.join(dir, 'metrics.jsonl'));
    this.record = {
      id: path.basename(dir),
      status: 'running',
      startedAt: new Date(this.started).toISOString(),
      ...ownerStamp(),
      environment: { node: process.version, platform: process.platform, arch: process.arch, cpus: os.cpus().length, memoryBytes: os.totalmem() },
      ...extra,
    };
  }

  /**
   * A new run folder with recipe.yaml (`settingsText`: the recipe, or the request as JSON) and a run.json that
   * says running; `start` gives its kind, label and what else the record holds from the start.
   */
  static async create(workspace: string, slug: string, settingsText: string, start: RunStart | ((dir: string) => RunStart)): Promise<RunFolder> {
    const dir = await makeRunDir(workspace, slug);
    const run = new RunFolder(dir, typeof start === 'function' ? start(dir) : start);
    claimRun(dir);
    try {
      await writeFileAtomic(path.join(dir, 'recipe.yaml'), settingsText, { mkdir: false });
      await run.save();
    } catch (e) {
      // half a run folder would read as a run in history: none at all
      releaseRun(dir);
      await rm(dir, { recursive: true, force: true }).catch(() => {});
      throw new Error(`${(e as Error).message.replace(/; nothing was left at .*$/, '')}; the run folder ${dir} was removed, nothing was left behind`);
    }
    return run;
  }

  get id(): string { return this.record.id; }

  log(message: string): void {
    this.logFile.append(`${new Date().toISOString()} ${message}\n`);
  }

  metric(name: string, value: Record<string, unknown>): void {
    this.metricsFile.append(`${JSON.stringify({ name, t: (Date.now() - this.started) / 1000, ...value })}\n`);
  }

  /**
   * Records the outcome. If run.json cannot be written (a full disk), the folder is removed rather than
   * left saying "running", and the error says so.
   */
  async finish(status: RunStatus, extra: Record<string, unknown>): Promise<void> {
    const now = Date.now();
    this.record = { ...this.record, ...extra, status, finishedAt: new Date(now).toISOString(), seconds: (now - this.started) / 1000 };
    await Promise.all([this.logFile.close(), this.metricsFile.close()]);
    const lost = [this.logFile, this.metricsFile].filter((f) => f.failure).map((f) => path.basename(f.file));
    if (lost.length) this.record.notes = [`${lost.join(' and ')} could not be written in full (${((this.logFile.failure ?? this.metricsFile.failure) as Error)?.message})`];
    try {
      await this.save();
    } catch (e) {
      await rm(this.dir, { recursive: true, force: true }).catch(() => {});
      throw new Error(`${(e as Error).message.replace(/; nothing was left at .*$/, '')}; the run folder ${this.dir} was removed`);
    } finally {
      releaseRun(this.dir);
    }
  }

  private save(): Promise<void> {
    return writeFileAtomic(path.join(this.dir, 'run.json'), `${JSON.stringify(this.record, null, 2)}\n`, { mkdir: false });
  }
}
