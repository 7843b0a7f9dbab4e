// Parent hashing in worker threads: every byte of every file, in the order asked, and a clean cancel.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../../main/engine/jobs/context';
import { hashFiles } from '../../../main/engine/merge/hashing';
import { tempDir } from './model-files';

describe('hashFiles', () => {
  const dir = tempDir('hash');
  // Over the worker's 8 MB read buffer, so the chunked path is exercised, plus an empty and a small file.
  const contents = [randomBytes((8 << 20) + 12345), Buffer.alloc(0), randomBytes(1000)];
  const files = contents.map((c, i) => { const f = path.join(dir, `f${i}.bin`); writeFileSync(f, c); return f; });

  it('matches crypto over the whole file, for one or several lanes', async () => {
    for (const lanes of [1, 3]) {
      const got = await hashFiles(files, undefined, lanes);
      expect(got.map((h) => h.file)).toEqual(files);
      expect(got.map((h) => h.sha256)).toEqual(contents.map((c) => createHash('sha256').update(c).digest('hex')));
      expect(got.map((h) => h.bytes)).toEqual(contents.map((c) => c.length));
    }
  });

  it('names a file it cannot read, and stops on cancel', async () => {
    await expect(hashFiles([path.join(dir, 'missing.bin')])).rejects.toThrow(/cannot hash .*missing\.bin: ENOENT/);
    const ac = new AbortController();
    const p = hashFiles(files, ac.signal, 1);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });
});
