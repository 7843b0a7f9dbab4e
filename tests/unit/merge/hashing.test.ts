// Parent hashing in worker threads: every byte of every file, in the order asked, and a clean cancel.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COPY_BUDGET_BYTES, hashQueueStats } from '../../../main/engine/formats/offload-hash';
import { CancelledError } from '../../../main/engine/job-context';
import { hashFiles, StreamingFileHash } from '../../../main/engine/merge/hashing';
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

describe('StreamingFileHash', () => {
  const dir = tempDir('hash-stream');
  const content = randomBytes((8 << 20) * 2 + 777); // over the gap reader's 8 MB buffer
  const file = path.join(dir, 'f.bin');
  writeFileSync(file, content);
  const whole = createHash('sha256').update(content).digest('hex');
  const span = (o: number, n: number) => Uint8Array.from(content.subarray(o, o + n));

  it('hashes the whole file whatever was fed: in order, with gaps, out of order, overlapping, or nothing', async () => {
    const plans: [number, number][][] = [
      [], // nothing fed: the file is read at finish
      [[0, 100], [100, 5000], [5100, 8 << 20]], // in order, no gap
      [[64, 1000], [2000, 3000], [9 << 20, 4096]], // gaps before, between and after
      [[5000, 100], [0, 200], [100, 50], [150, 6000], [4000, 4000]], // out of order and overlapping
      [[content.length - 10, 10]], // only the tail
    ];
    for (const plan of plans) {
      const h = await StreamingFileHash.open(file);
      for (const [o, n] of plan) {
        const data = span(o, n);
        expect(await h.feed(o, data)).toBe(data); // the caller's bytes come back untouched
        // Buffer.equals: the same check as toEqual, without an element-by-element diff of 8 MB
        expect(Buffer.from(data).equals(content.subarray(o, o + n))).toBe(true);
      }
      const got = await h.finish();
      expect(got, JSON.stringify(plan)).toEqual({ file, sha256: whole, bytes: content.length });
    }
  });

  it('spans fed while still being read are hashed in the order fed, so none is read twice to fill a gap', async () => {
    const h = await StreamingFileHash.open(file);
    const cuts = [0, 1000, 5 << 20, 9 << 20, content.length];
    const reads = cuts.slice(0, -1).map((o, k) => {
      let resolve!: (v: { offset: number; data: Uint8Array }) => void;
      const p = new Promise<{ offset: number; data: Uint8Array }>((r) => { resolve = r; });
      return { p, done: () => resolve({ offset: o, data: span(o, cuts[k + 1] - o) }) };
    });
    const hashed = reads.map((r) => h.feedWhenRead(r.p));
    for (const r of [...reads].reverse()) r.done(); // the reads finish last to first
    await Promise.all(hashed);
    expect(await h.finish()).toEqual({ file, sha256: whole, bytes: content.length });
    expect(h.gapBytes).toBe(0);
    // A read that fails or has no place in the file is passed over; the rest of the file is read at finish.
    const g = await StreamingFileHash.open(file);
    await g.feedWhenRead(Promise.reject(new Error('read failed')));
    await g.feedWhenRead(Promise.resolve(undefined));
    expect(await g.finish()).toEqual({ file, sha256: whole, bytes: content.length });
    expect(g.gapBytes).toBe(content.length);
  });

  it('keeps the bytes waiting for the hash worker within its budget on a file bigger than the budget', async () => {
    // 2.5× the budget: fed in 4 MB spans of ordinary (copied) bytes without waiting, with gaps read here.
    const bigContent = randomBytes(Math.floor(2.5 * COPY_BUDGET_BYTES));
    const big = path.join(dir, 'big.bin');
    writeFileSync(big, bigContent);
    const step = 4 << 20;
    const h = await StreamingFileHash.open(big);
    hashQueueStats(true);
    const fed: Promise<unknown>[] = [];
    for (let o = 0; o < bigContent.length; o += 2 * step) fed.push(h.feed(o, Uint8Array.from(bigContent.subarray(o, o + step))));
    await Promise.all(fed);
    expect(await h.finish()).toEqual({ file: big, sha256: createHash('sha256').update(bigContent).digest('hex'), bytes: bigContent.length });
    expect(h.gapBytes).toBeGreaterThan(COPY_BUDGET_BYTES); // half the file came from the gap reads
    const { peakBytes, inFlightBytes } = hashQueueStats();
    expect(peakBytes).toBeGreaterThan(0);
    expect(peakBytes).toBeLessThanOrEqual(COPY_BUDGET_BYTES);
    expect(inFlightBytes).toBe(0);
  });

  it('names a file that ends before a span it was told of', async () => {
    const short = path.join(dir, 'short.bin');
    writeFileSync(short, content.subarray(0, 1000));
    const h = await StreamingFileHash.open(short);
    writeFileSync(short, content.subarray(0, 10)); // truncated after it was opened
    await expect(h.feed(500, span(500, 10))).rejects.toThrow(/short\.bin: it ends at byte 10/);
    await h.close();
  });
});
