// The workspace's cache of file hashes: trusted only while a file is exactly as it was hashed, never an
// error when missing or damaged; and a merge that reuses parents does not hash them again.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, utimesSync, writeFileSync, statSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentContext, type JobContext } from '../../../main/engine/job-context';
import { FileHashCache } from '../../../main/engine/merge/hash-cache';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import type { FormatWriter } from '../../../main/engine/formats/types';
import { METADATA_KEYS, runMerge, type RunMergeOptions } from '../../../main/engine/merge/executor';
import { parseRecipe, resolveRecipe } from '../../../main/engine/merge/recipe';
import { readModel, smallNet, tempDir, writeModel } from './model-files';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** Sets a file's times an hour back, as if it was written then (settled). */
const age = (file: string) => { const t = Date.now() / 1000 - 3600; utimesSync(file, t, t); };

describe('FileHashCache', () => {
  const dir = tempDir('hash-cache');
  const ws = path.join(dir, 'ws');

  it('gives back a remembered hash while the file is unchanged, and nothing once it changed', async () => {
    const cache = FileHashCache.inWorkspace(ws);
    const file = path.join(dir, 'a.bin');
    const content = randomBytes(4096);
    writeFileSync(file, content);
    age(file);
    expect((await cache.lookup(file)).hash).toBeUndefined();
    const { identity } = await cache.lookup(file);
    await cache.remember([{ hash: { file, sha256: sha(content), bytes: content.length }, before: identity }]);
    expect((await cache.lookup(file)).hash).toEqual({ file, sha256: sha(content), bytes: 4096 });

    // Same size, other bytes, and the old modification time put back (touch -r): the ctime still differs.
    const before = statSync(file);
    writeFileSync(file, randomBytes(4096));
    utimesSync(file, before.atime, before.mtime);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    expect((await cache.lookup(file)).hash).toBeUndefined();
  });

  it('keeps no hash of a file that changed while it was hashed, or that was modified just now', async () => {
    const cache = FileHashCache.inWorkspace(ws);
    const moving = path.join(dir, 'moving.bin');
    writeFileSync(moving, randomBytes(100));
    age(moving);
    const { identity } = await cache.lookup(moving);
    writeFileSync(moving, randomBytes(100)); // rewritten while "hashed"
    await cache.remember([{ hash: { file: moving, sha256: 'a'.repeat(64), bytes: 100 }, before: identity }]);
    expect((await cache.lookup(moving)).hash).toBeUndefined();

    const fresh = path.join(dir, 'fresh.bin');
    writeFileSync(fresh, randomBytes(100)); // a training loop may still be writing it
    const f = await cache.lookup(fresh);
    await cache.remember([{ hash: { file: fresh, sha256: 'b'.repeat(64), bytes: 100 }, before: f.identity }]);
    expect((await cache.lookup(fresh)).hash).toBeUndefined();
    // …unless this process wrote it and hashed what it wrote.
    await cache.remember([{ hash: { file: fresh, sha256: 'b'.repeat(64), bytes: 100 }, written: true }]);
    expect((await cache.lookup(fresh)).hash?.sha256).toBe('b'.repeat(64));
    // A size that disagrees with the file is never kept.
    await cache.remember([{ hash: { file: fresh, sha256: 'c'.repeat(64), bytes: 99 }, written: true }]);
    expect((await cache.lookup(fresh)).hash?.sha256).toBe('b'.repeat(64));
  });

  it('a damaged or foreign cache file is an empty cache, and is replaced by the next remember', async () => {
    const ws2 = path.join(dir, 'ws2');
    mkdirSync(path.join(ws2, 'cache'), { recursive: true });
    const cacheFile = path.join(ws2, 'cache', 'file-hashes.json');
    const file = path.join(dir, 'c.bin');
    writeFileSync(file, 'hello');
    for (const junk of ['{not json', JSON.stringify({ version: 2, entries: {} }), JSON.stringify({ version: 1, entries: { [file]: { sha256: 'zz' } } })]) {
      writeFileSync(cacheFile, junk);
      expect((await FileHashCache.inWorkspace(ws2).lookup(file)).hash).toBeUndefined();
    }
    await FileHashCache.inWorkspace(ws2).remember([{ hash: { file, sha256: sha(Buffer.from('hello')), bytes: 5 }, written: true }]);
    expect(JSON.parse(readFileSync(cacheFile, 'utf8')).version).toBe(1);
    expect((await FileHashCache.inWorkspace(ws2).lookup(file)).hash?.sha256).toBe(sha(Buffer.from('hello')));
  });
});

describe('runMerge with a workspace', () => {
  const dir = tempDir('hash-cache-merge');
  const ws = path.join(dir, 'ws');

  async function merge(yaml: string, io?: RunMergeOptions['io']): Promise<{ parents: { name: string; sha256: string }[]; logs: string[] }> {
    const logs: string[] = [];
    const ctx: JobContext = { ...silentContext(), log: (m) => logs.push(m) };
    const res = await runMerge(await resolveRecipe(parseRecipe(yaml), dir), ctx, { workspace: ws, io });
    const out = await readModel(res.output.path);
    // What the output says of its parents is what the merge returned.
    expect(JSON.parse(out.source.metadata[METADATA_KEYS.parents])).toEqual(res.parents.map(({ role, name, sha256, bytes }) => ({ role, name, sha256, bytes })));
    return { parents: res.parents, logs };
  }

  it('hashes parents once, reuses the hashes while the files are unchanged, and hashes a changed one again', async () => {
    for (const s of [1, 2]) {
      await writeModel(path.join(dir, `p${s}.pt`), smallNet(s));
      age(path.join(dir, `p${s}.pt`));
    }
    // the same output each time: replacing it is asked for
    const recipe = 'method: mean\nmodels: [p1.pt, p2.pt]\noutput: {path: out.pt, overwrite: true}\n';
    const fileSha = (n: string) => sha(readFileSync(path.join(dir, n)));

    const first = await merge(recipe);
    expect(first.logs.join('\n')).toMatch(/hashing 2 parent files/);
    expect(first.logs.join('\n')).not.toMatch(/reused/);
    expect(first.parents.map((p) => p.sha256)).toEqual([fileSha('p1.pt'), fileSha('p2.pt')]);

    const second = await merge(recipe);
    expect(second.logs.join('\n')).toMatch(/2 parent hashes reused from the workspace cache/);
    expect(second.logs.join('\n')).not.toMatch(/hashing \d parent/);
    expect(second.parents).toEqual(first.parents);
    // The same through a writer that needs its metadata first (as ONNX does): nothing hashed either.
    const metadataFirst = { openModel, writerFor: (p: string): FormatWriter => ({ ...writerFor(p), lateMetadata: false }) };
    const early = await merge('method: mean\nmodels: [p1.pt, p2.pt]\noutput: {path: early.pt}\n', metadataFirst);
    expect(early.logs.join('\n')).not.toMatch(/hashing \d parent/);
    expect(early.parents).toEqual(first.parents);

    // p2 rewritten with other weights (same size) and aged: its hash is computed again, and right.
    await writeModel(path.join(dir, 'p2.pt'), smallNet(7));
    age(path.join(dir, 'p2.pt'));
    const third = await merge(recipe);
    expect(third.logs.join('\n')).toMatch(/1 parent hash reused/);
    expect(third.logs.join('\n')).toMatch(/hashing 1 parent file/);
    expect(third.parents.map((p) => p.sha256)).toEqual([fileSha('p1.pt'), fileSha('p2.pt')]);
    expect(third.parents[1].sha256).not.toBe(first.parents[1].sha256);

    // The merged output's hash was kept as it was written: a merge of merges does not hash it again.
    const chained = await merge('method: mean\nmodels: [out.pt, p1.pt]\noutput: {path: out2.pt}\n');
    expect(chained.logs.join('\n')).toMatch(/2 parent hashes reused/);
    expect(chained.parents[0].sha256).toBe(fileSha('out.pt'));
  });
});
