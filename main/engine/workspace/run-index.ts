// Which files each run of a workspace owns, for naming models by their run (model-names.ts): a scan of
// <workspace>/runs/*/run.json that re-reads only the run.json files whose modification time or size changed
// since the last scan, so that naming the models of a list on every screen stays cheap.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunFiles } from './model-names';

interface Cached { mtimeMs: number; size: number; runs: RunFiles | null }

/** Per workspace, per run folder name: what the last read of its run.json gave. */
const cache = new Map<string, Map<string, Cached>>();

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && !!x) : []);

/** The files and folders a run.json says are the run's own (every kind's way of recording them). */
export function runFilesOf(dir: string, record: Record<string, unknown>, realDir?: string): RunFiles {
  const output = record.output as { path?: unknown } | string | undefined;
  const files = [
    ...(typeof output === 'string' ? [output] : str(output?.path) ? [output!.path as string] : []),
    ...strings(record.outputs), ...strings(record.checkpoints), ...(str(record.model) ? [record.model as string] : []),
  ];
  const outDir = str(record.outDir);
  const folders = [dir, ...(realDir && realDir !== dir ? [realDir] : []), ...(outDir ? [outDir] : [])];
  const id = str(record.id) ?? path.basename(dir);
  return {
    id,
    label: str(record.label) ?? `${str(record.kind) ?? 'run'} · ${id}`,
    files: [...new Set(files.map((f) => path.resolve(dir, f)))],
    folders: [...new Set(folders.flatMap((f) => [path.resolve(f), path.resolve(f, 'checkpoints')]))],
  };
}

async function readRunFiles(dir: string): Promise<RunFiles | null> {
  try {
    const record = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as unknown;
    if (!record || typeof record !== 'object' || Array.isArray(record)) return null;
    return runFilesOf(dir, record as Record<string, unknown>, await realpath(dir).catch(() => dir));
  } catch {
    return null; // a run.json being written or cut by a crash names nothing; the next scan reads it again
  }
}

/** Every readable run of the workspace with the files it owns, sorted by id (so the first match is stable). */
export async function runFilesIn(workspace: string): Promise<RunFiles[]> {
  const runsDir = path.join(path.resolve(workspace), 'runs');
  let names: string[];
  try {
    names = (await readdir(runsDir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const seen = cache.get(runsDir) ?? new Map<string, Cached>();
  const next = new Map<string, Cached>();
  await Promise.all(names.map(async (name) => {
    const dir = path.join(runsDir, name);
    const s = await stat(path.join(dir, 'run.json')).catch(() => null);
    if (!s) return; // not a run (yet)
    const old = seen.get(name);
    if (old && old.runs && old.mtimeMs === s.mtimeMs && old.size === s.size) { next.set(name, old); return; }
    next.set(name, { mtimeMs: s.mtimeMs, size: s.size, runs: await readRunFiles(dir) });
  }));
  cache.set(runsDir, next);
  return [...next.entries()].sort(([a], [b]) => a.localeCompare(b)).flatMap(([, c]) => (c.runs ? [c.runs] : []));
}
