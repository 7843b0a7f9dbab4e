// The run folder: <workspace>/runs/<time>-<slug>/ with recipe.yaml, run.json (status, timings,
// environment), log.txt and metrics.jsonl — plain files, so history is a scan of the folder.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunRecord {
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

export class RunFolder {
  private readonly logStream: WriteStream;
  private readonly metricsStream: WriteStream;
  private record: RunRecord;
  private readonly started = Date.now();

  private constructor(readonly dir: string, extra: Record<string, unknown> & { kind?: RunRecord['kind'] }) {
    this.logStream = createWriteStream(path.join(dir, 'log.txt'), { flags: 'a' });
    this.metricsStream = createWriteStream(path.join(dir, 'metrics.jsonl'), { flags: 'a' });
    this.record = {
      kind: 'merge',
      status: 'running',
      startedAt: new Date(this.started).toISOString(),
      environment: { node: process.version, platform: process.platform, arch: process.arch, cpus: os.cpus().length, memoryBytes: os.totalmem() },
      ...extra,
    };
  }

  static async create(workspace: string, slug: string, recipeYaml: string, extra: Record<string, unknown> & { kind?: RunRecord['kind'] }): Promise<RunFolder> {
    const base = path.join(workspace, 'runs', `${stamp(new Date())}-${slugOf(slug)}`);
    let dir = base;
    for (let i = 2; ; i++) {
      try { await mkdir(dir, { recursive: false }); break; } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') { await mkdir(path.dirname(dir), { recursive: true }); continue; }
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        dir = `${base}-${i}`;
      }
    }
    const run = new RunFolder(dir, extra);
    await writeAtomic(path.join(dir, 'recipe.yaml'), recipeYaml);
    await run.save();
    return run;
  }

  log(message: string): void {
    this.logStream.write(`${new Date().toISOString()} ${message}\n`);
  }

  metric(name: string, value: Record<string, unknown>): void {
    this.metricsStream.write(`${JSON.stringify({ name, t: (Date.now() - this.started) / 1000, ...value })}\n`);
  }

  async finish(status: RunStatus, extra: Record<string, unknown>): Promise<void> {
    const now = Date.now();
    this.record = { ...this.record, ...extra, status, finishedAt: new Date(now).toISOString(), seconds: (now - this.started) / 1000 };
    await Promise.all([endStream(this.logStream), endStream(this.metricsStream)]);
    await this.save();
  }

  private save(): Promise<void> {
    return writeAtomic(path.join(this.dir, 'run.json'), `${JSON.stringify(this.record, null, 2)}\n`);
  }
}

function endStream(s: WriteStream): Promise<void> {
  return new Promise((resolve) => s.end(resolve));
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}
