// The run folder: <workspace>/runs/<time>-<slug>/ with recipe.yaml, run.json (status, timings,
// environment, the process running it), log.txt and metrics.jsonl — plain files, so history is a scan of
// the folder. A run folder is whole or absent: if it cannot be made (a full disk), nothing of it is left.
import { appendFile, mkdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeWriteError } from '../files/disk-errors';
import { writeFileAtomic } from '../files/writeAtomic';
import { claimRun, ownerStamp, releaseRun, type RunOwner } from '../workspace/run-owner';

/** `interrupted`: the process died while it ran (set by the sweep in jobs/leftovers.ts). */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface RunRecord extends RunOwner {
  /** merge; comparisons, soups and searches (compare/) record theirs as eval, soup and search. */
  kind: 'merge' | 'eval' | 'soup' | 'search';
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

  private constructor(readonly dir: string, extra: Record<string, unknown> & { kind?: RunRecord['kind'] }) {
    this.logFile = new LineFile(path.join(dir, 'log.txt'));
    this.metricsFile = new LineFile(path.join(dir, 'metrics.jsonl'));
    this.record = {
      kind: 'merge',
      status: 'running',
      startedAt: new Date(this.started).toISOString(),
      ...ownerStamp(),
      environment: { node: process.version, platform: process.platform, arch: process.arch, cpus: os.cpus().length, memoryBytes: os.totalmem() },
      ...extra,
    };
  }

  static async create(workspace: string, slug: string, recipeYaml: string, extra: Record<string, unknown> & { kind?: RunRecord['kind'] }): Promise<RunFolder> {
    const base = path.join(workspace, 'runs', `${stamp(new Date())}-${slugOf(slug)}`);
    let dir = base;
    try {
      for (let i = 2; ; i++) {
        try { await mkdir(dir, { recursive: false }); break; } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') { await mkdir(path.dirname(dir), { recursive: true }); continue; }
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          dir = `${base}-${i}`;
        }
      }
    } catch (e) {
      throw describeWriteError(dir, e, undefined, 'no run folder was made');
    }
    const run = new RunFolder(dir, extra);
    claimRun(dir);
    try {
      await writeFileAtomic(path.join(dir, 'recipe.yaml'), recipeYaml, { mkdir: false });
      await run.save();
    } catch (e) {
      // half a run folder would read as a run in history: none at all
      releaseRun(dir);
      await rm(dir, { recursive: true, force: true }).catch(() => {});
      throw new Error(`${(e as Error).message.replace(/; nothing was left at .*$/, '')}; the run folder ${dir} was removed, nothing was left behind`);
    }
    return run;
  }

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
