// SHA-256 of files kept in the workspace (<workspace>/cache/file-hashes.json), so a merge that reuses
// parents it has seen (a sweep over t, a greedy soup, a merge of merges) does not hash them again: for a
// 4 × 500 MB merge that is ~1.4 CPU-seconds, for 4 × 15 GB minutes. An entry is trusted only while the
// file's identity is unchanged — device, inode, size, and the modification and change times to the
// nanosecond (the ctime cannot be set back by a user, so `touch -r` does not fool it) — as git's index
// trusts a file it has seen. A missing, damaged or unwritable cache is never an error: it is just empty.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { tempPathFor } from '../files/temp-files';
import type { FileHash } from './hashing';

/** Entries kept; the least recently used go first beyond this. */
const MAX_ENTRIES = 4096;
/**
 * A file modified this recently may still be being written (a training loop saving a checkpoint), or
 * changed again within its file system's timestamp granularity: its hash is not kept.
 */
const SETTLE_NS = 2_000_000_000n;

const Identity = z.object({ dev: z.string(), ino: z.string(), size: z.string(), mtimeNs: z.string(), ctimeNs: z.string() });
type Identity = z.infer<typeof Identity>;
export type FileIdentity = Identity;
/** What the cache knows of a file: its hash when remembered and still valid, its identity when it exists. */
export interface Lookup { hash?: FileHash; identity?: Identity }
const Entry = Identity.extend({ sha256: z.string().regex(/^[0-9a-f]{64}$/), usedAt: z.number() });
type Entry = z.infer<typeof Entry>;
const CacheFile = z.object({ version: z.literal(1), entries: z.record(z.string(), Entry) });

/** The file's identity now, or undefined when it cannot be read. */
export async function fileIdentity(file: string): Promise<Identity | undefined> {
  try {
    const s = await stat(file, { bigint: true });
    if (!s.isFile()) return undefined;
    return { dev: String(s.dev), ino: String(s.ino), size: String(s.size), mtimeNs: String(s.mtimeNs), ctimeNs: String(s.ctimeNs) };
  } catch {
    return undefined;
  }
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

export class FileHashCache {
  private constructor(readonly file: string) {}

  static inWorkspace(workspace: string): FileHashCache {
    return new FileHashCache(path.join(workspace, 'cache', 'file-hashes.json'));
  }

  /** The hash of `file` as remembered, when the file is unchanged since; with its identity either way. */
  async lookup(file: string): Promise<Lookup> {
    return (await this.lookupAll([file]))[0];
  }

  /** lookup for several files, reading the cache once. */
  async lookupAll(files: string[]): Promise<Lookup[]> {
    const entries = await this.load();
    return Promise.all(files.map(async (file) => {
      const identity = await fileIdentity(file);
      if (!identity) return {};
      const entry = entries[path.resolve(file)];
      if (!entry || !sameIdentity(entry, identity)) return { identity };
      return { hash: { file, sha256: entry.sha256, bytes: Number(identity.size) }, identity };
    }));
  }

  /**
   * Remembers hashes: each with the identity its file had before it was hashed (from lookup), kept only if
   * the file still has it now (unchanged while hashed) and has settled. `written`: files this process
   * wrote itself and hashed as it wrote them (no settling needed: nobody else had them yet).
   */
  async remember(hashed: { hash: FileHash; before?: Identity; written?: boolean }[]): Promise<void> {
    const now = BigInt(Date.now()) * 1_000_000n;
    const fresh: [string, Entry][] = [];
    for (const { hash, before, written } of hashed) {
      const after = await fileIdentity(hash.file);
      if (!after || Number(after.size) !== hash.bytes) continue;
      if (!written && (!before || !sameIdentity(before, after) || now - BigInt(after.mtimeNs) < SETTLE_NS)) continue;
      fresh.push([path.resolve(hash.file), { ...after, sha256: hash.sha256, usedAt: Date.now() }]);
    }
    if (!fresh.length) return;
    try {
      const entries = { ...(await this.load()), ...Object.fromEntries(fresh) };
      const kept = Object.entries(entries).sort((a, b) => b[1].usedAt - a[1].usedAt).slice(0, MAX_ENTRIES);
      await mkdir(path.dirname(this.file), { recursive: true });
      // Temp + rename: two merges finishing together each leave a whole file (one's entries may be lost,
      // which only costs a hash later).
      const temp = tempPathFor(this.file); // named so that a crash's leftover is swept (files/temp-files.ts)
      try {
        await writeFile(temp, JSON.stringify({ version: 1, entries: Object.fromEntries(kept) }));
        await rename(temp, this.file);
      } finally {
        await rm(temp, { force: true });
      }
    } catch {
      // A cache that cannot be written costs time, never the merge.
    }
  }

  /** Every file the cache remembers, with its hash as remembered (still to be checked with lookup). */
  async remembered(): Promise<{ file: string; sha256: string; bytes: number }[]> {
    return Object.entries(await this.load()).map(([file, e]) => ({ file, sha256: e.sha256, bytes: Number(e.size) }));
  }

  private async load(): Promise<Record<string, Entry>> {
    try {
      const parsed = CacheFile.safeParse(JSON.parse(await readFile(this.file, 'utf8')));
      return parsed.success ? parsed.data.entries : {};
    } catch {
      return {};
    }
  }
}
