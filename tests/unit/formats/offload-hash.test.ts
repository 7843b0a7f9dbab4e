// SHA-256 and CRC-32 in worker threads: the same values as node's own, for bytes in shared memory (read
// in place) and for ordinary bytes (copied, so the caller may reuse its buffer once update resolves), and
// the copies waiting for the workers never over their byte budget.
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COPY_BUDGET_BYTES, crc32Offloaded, hashQueueStats, isShared, OffloadedSha256, sharedBytes } from '../../../main/engine/formats/offload-hash';

describe('offloaded hashing', () => {
  const content = randomBytes((3 << 20) + 123); // over the size where a CRC goes to a worker

  it('gives zlib\'s CRC-32 for shared and ordinary bytes, big and small', async () => {
    const shared = sharedBytes(content.length);
    shared.set(content);
    expect(isShared(shared)).toBe(true);
    expect(isShared(content)).toBe(false);
    for (const bytes of [shared, shared.subarray(5, 1000), shared.subarray(7), content, content.subarray(1, 2 << 20)]) {
      expect(await crc32Offloaded(bytes)).toBe(crc32(bytes));
    }
  });

  it('gives the SHA-256 of everything updated, in order, whether shared or copied', async () => {
    const shared = sharedBytes(content.length);
    shared.set(content);
    const h = new OffloadedSha256();
    const cut = [0, 10, 1 << 20, (2 << 20) + 5, content.length];
    const done: Promise<void>[] = [];
    for (let i = 0; i + 1 < cut.length; i++) {
      done.push(h.update(i % 2 ? shared.subarray(cut[i], cut[i + 1]) : content.subarray(cut[i], cut[i + 1])));
    }
    await Promise.all(done);
    expect(await h.digest()).toBe(createHash('sha256').update(content).digest('hex'));

    // Ordinary bytes are copied when posted: changing them once update resolves does not change the hash.
    const reused = Buffer.from(content.subarray(0, 4096));
    const g = new OffloadedSha256();
    await g.update(reused);
    reused.fill(0);
    expect(await g.digest()).toBe(createHash('sha256').update(content.subarray(0, 4096)).digest('hex'));
    await expect(g.digest()).rejects.toThrow(/already digested/);
  });

  it('keeps the copies not yet hashed within the budget while fed more than it, without waiting, and the hash right', async () => {
    // Three times the budget in 3 MB updates posted at once (none awaited), plus one update bigger than the
    // budget (copied in pieces): the copies wait for room, the hash is node's.
    const chunk = randomBytes(3 << 20);
    const big = randomBytes(COPY_BUDGET_BYTES + (5 << 20));
    const n = Math.ceil((3 * COPY_BUDGET_BYTES) / chunk.length);
    const h = new OffloadedSha256();
    hashQueueStats(true);
    const posted: Promise<void>[] = [];
    for (let i = 0; i < n; i++) posted.push(h.update(chunk));
    posted.push(h.update(big));
    expect(hashQueueStats().inFlightBytes).toBeLessThanOrEqual(COPY_BUDGET_BYTES);
    await Promise.all(posted);
    const want = createHash('sha256');
    for (let i = 0; i < n; i++) want.update(chunk);
    want.update(big);
    expect(await h.digest()).toBe(want.digest('hex'));
    const stats = hashQueueStats();
    expect(stats.peakBytes).toBeGreaterThan(0);
    expect(stats.peakBytes).toBeLessThanOrEqual(COPY_BUDGET_BYTES);
    expect(stats.inFlightBytes).toBe(0);
  });

  it('gives its copy budget back when the caller hands its buffer on (detached) once update resolves', async () => {
    // A merge gives a written tensor's buffer back for reuse as soon as update() resolves (its bytes are
    // copied); a reuse that transfers it detaches the buffer, and the budget must still come back in full.
    const h = new OffloadedSha256();
    const want = createHash('sha256');
    for (let i = 0; i < 6; i++) {
      const bytes = new Uint8Array(randomBytes(12 << 20));
      want.update(bytes);
      await h.update(bytes);
      structuredClone(bytes.buffer, { transfer: [bytes.buffer] }); // detaches it
      expect(bytes.byteLength).toBe(0);
    }
    expect(await h.digest()).toBe(want.digest('hex'));
    expect(hashQueueStats().inFlightBytes).toBe(0);
  });
});
