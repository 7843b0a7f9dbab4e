// Finding a merge's parents by the SHA-256 its output records (`merge-studio verify`): the workspace's hash
// cache first (files it hashed, still unchanged: no hashing at all), then the files its run records name,
// the recipe's own paths, and every file in the folders given whose size is the parent's — only those are
// hashed. A parent not found is told apart from one changed: a file of its name whose bytes are not the
// recorded ones.
import { readdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { CancelledError, type JobContext } from '../job-context';
import { FileHashCache, type Lookup } from './hash-cache';
import { hashFiles, type FileHash } from './hashing';

/** A parent as the output's metadata records it (METADATA_KEYS.parents). */
export interface RecordedParent {
  role: 'model' | 'base';
  name: string;
  sha256: string;
  bytes: number;
}

export interface LocatedParent extends RecordedParent {
  /** found: a file with the recorded bytes; changed: a file of its name holds other bytes; missing: none. */
  status: 'found' | 'changed' | 'missing';
  /** The file found (found), or the file of its name that changed (changed). */
  path?: string;
  /** The changed file's SHA-256 and size now. */
  now?: { sha256: string; bytes: number };
}

export interface ParentSearch {
  /** Folders searched (with their subfolders). */
  dirs: string[];
  /** The workspace: its hash cache and run records are looked at first. */
  workspace?: string;
  /** Files to look at whatever their folder (the recipe's paths, resolved). */
  hints?: string[];
}

/** Folders below a searched one that are never entered. */
const SKIP_DIRS = new Set(['node_modules', '.git', '.cache']);
const MAX_DEPTH = 8;
/** Files listed per search at most (a search of the whole home folder stops there, and says so). */
const MAX_FILES = 200_000;

interface Candidate { file: string; bytes: number }

/** Every regular file under `dir` (not following links out of it), to MAX_DEPTH. */
async function listFiles(dir: string, out: Map<string, Candidate>, depth = 0): Promise<void> {
  if (depth > MAX_DEPTH || out.size >= MAX_FILES) return;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return; // unreadable or gone: nothing there to find
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) await listFiles(p, out, depth + 1);
    } else if (e.isFile() && !out.has(p)) {
      try { out.set(p, { file: p, bytes: (await stat(p)).size }); } catch { /* gone meanwhile */ }
      if (out.size >= MAX_FILES) return;
    }
  }
}

/** Files the workspace's run records name as inputs or parents (where earlier merges read them). */
async function runInputs(workspace: string): Promise<string[]> {
  const runs = path.join(workspace, 'runs');
  let names: string[];
  try { names = await readdir(runs); } catch { return []; }
  const files = new Set<string>();
  for (const n of names) {
    try {
      const rec = JSON.parse(await readFile(path.join(runs, n, 'run.json'), 'utf8')) as { inputs?: unknown; parents?: unknown };
      for (const p of Array.isArray(rec.inputs) ? rec.inputs : []) if (typeof p === 'string') files.add(p);
      for (const p of Array.isArray(rec.parents) ? rec.parents : []) if (typeof p?.path === 'string') files.add(p.path);
    } catch { /* a run folder without a readable record */ }
  }
  return [...files];
}

/** Hashes files, a few at a time, each in a worker, until `enough`; a file that cannot be read is left out. */
async function hashSome(files: string[], ctx: JobContext, hashed: (h: FileHash) => void, enough: () => boolean): Promise<Map<string, FileHash>> {
  const out = new Map<string, FileHash>();
  let next = 0;
  const lane = async () => {
    while (next < files.length && !enough()) {
      if (ctx.signal.aborted) throw new CancelledError();
      const file = files[next++];
      try {
        const [h] = await hashFiles([file], ctx.signal, 1);
        out.set(file, h);
        hashed(h);
      } catch (e) {
        if (e instanceof CancelledError) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(files.length, Math.max(1, availableParallelism())) }, lane));
  return out;
}

/**
 * Where each recorded parent lies now: by its SHA-256, through the workspace's cache, its run records, the
 * hints and the folders given. Only files of the parent's size are hashed; the hashes are remembered in
 * the workspace's cache.
 */
export async function findParents(parents: readonly RecordedParent[], where: ParentSearch, ctx: JobContext): Promise<LocatedParent[]> {
  const cache = where.workspace ? FileHashCache.inWorkspace(where.workspace) : undefined;
  const candidates = new Map<string, Candidate>();
  const add = async (file: string) => {
    const p = path.resolve(file);
    if (candidates.has(p)) return;
    try {
      const s = await stat(p);
      if (s.isFile()) candidates.set(p, { file: p, bytes: s.size });
    } catch { /* not there */ }
  };
  ctx.progress({ done: 0, total: 1, message: 'listing candidate files' });
  const remembered = cache ? await cache.remembered() : [];
  for (const r of remembered) if (parents.some((p) => p.sha256 === r.sha256)) await add(r.file);
  for (const h of where.hints ?? []) await add(h);
  if (where.workspace) for (const f of await runInputs(where.workspace)) await add(f);
  for (const d of where.dirs) await listFiles(path.resolve(d), candidates);
  if (ctx.signal.aborted) throw new CancelledError();

  // Only files of a parent's size can be it; a file of a parent's name is hashed too (to say it changed).
  const sizes = new Set(parents.map((p) => p.bytes));
  const names = new Set(parents.map((p) => p.name));
  const wanted = [...candidates.values()].filter((c) => sizes.has(c.bytes) || names.has(path.basename(c.file)));
  const known = new Map<string, FileHash>();
  const looked: Lookup[] = cache ? await cache.lookupAll(wanted.map((c) => c.file)) : wanted.map(() => ({}));
  const toHash: string[] = [];
  wanted.forEach((c, i) => {
    const hit = looked[i].hash;
    if (hit) known.set(c.file, hit);
    // a file of a parent's name but another size has changed: no need to hash it to say so
    else if (sizes.has(c.bytes)) toHash.push(c.file);
  });
  // The most likely files first: those named like a parent.
  toHash.sort((a, b) => Number(names.has(path.basename(b))) - Number(names.has(path.basename(a))));
  const total = toHash.reduce((a, f) => a + (candidates.get(f)?.bytes ?? 0), 0) || 1;
  let hashedBytes = 0;
  const sought = new Set(parents.map((p) => p.sha256));
  for (const h of known.values()) sought.delete(h.sha256);
  const hashed = await hashSome(toHash, ctx, (h) => {
    sought.delete(h.sha256);
    hashedBytes += h.bytes;
    ctx.progress({ done: hashedBytes, total, message: path.basename(h.file), unit: 'bytes' });
  }, () => sought.size === 0);
  for (const [f, h] of hashed) known.set(f, h);
  const identity = new Map(wanted.map((c, i) => [c.file, looked[i].identity]));
  await cache?.remember([...hashed.values()].map((h) => ({ hash: h, before: identity.get(h.file) })));

  const bySha = new Map<string, string>();
  for (const [f, h] of known) if (!bySha.has(h.sha256)) bySha.set(h.sha256, f);
  return parents.map((p): LocatedParent => {
    const found = bySha.get(p.sha256);
    if (found) return { ...p, status: 'found', path: found };
    const namesake = wanted.find((c) => path.basename(c.file) === p.name);
    if (namesake) {
      const h = known.get(namesake.file);
      return { ...p, status: 'changed', path: namesake.file, now: { sha256: h?.sha256 ?? '', bytes: namesake.bytes } };
    }
    return { ...p, status: 'missing' };
  });
}
