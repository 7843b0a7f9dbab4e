import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../../main/engine/data';
import { encodeIdx } from '../../../main/engine/data/idx-format';

const FIX = join(process.cwd(), 'tests', 'fixtures', 'data', 'idx');
const tmp = () => mkdtempSync(join(tmpdir(), 'ms-idx-'));

/** Max |a - b| over the first n digits of two datasets. */
function maxDiff(a: Float32Array, b: Float32Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('idx datasets', () => {
  it('loads a folder with the standard train files (raw) as the first 30 digits of mnist:train', async () => {
    const d = await loadDataset(`idx:${FIX}`);
    const ref = await loadDataset('mnist:train');
    expect(d.size).toBe(30);
    expect(d.inputShape).toEqual([1, 28, 28]);
    expect(d.numClasses).toBe(Math.max(...ref.labels.subarray(0, 30)) + 1);
    expect(Array.from(d.labels)).toEqual(Array.from(ref.labels.subarray(0, 30)));
    expect(maxDiff(d.inputs, ref.inputs, 30 * 784)).toBeLessThanOrEqual(0.5 / 255 + 1e-6); // bytes quantise to 1/255
  });

  it('loads the gzipped t10k files with ?split=test, and a file pair given explicitly', async () => {
    const ref = await loadDataset('mnist:test');
    const d = await loadDataset(`idx:${FIX}?split=test&classes=10`);
    expect(d.size).toBe(20);
    expect(d.numClasses).toBe(10);
    expect(Array.from(d.labels)).toEqual(Array.from(ref.labels.subarray(0, 20)));
    expect(maxDiff(d.inputs, ref.inputs, 20 * 784)).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    const pair = await loadDataset(`idx:${join(FIX, 't10k-images-idx3-ubyte.gz')},${join(FIX, 't10k-labels-idx1-ubyte.gz')}`);
    expect(Array.from(pair.inputs)).toEqual(Array.from(d.inputs));
    const lone = await loadDataset(`idx:${join(FIX, 'train-images-idx3-ubyte')}`);
    expect(lone.size).toBe(30);
  });

  it('is detected from a bare file path', async () => {
    const d = await loadDataset(join(FIX, 'train-images-idx3-ubyte'));
    expect(d.size).toBe(30);
  });

  it('refuses a file that is not IDX, a truncated one, one with extra bytes, and says which file', async () => {
    const dir = tmp();
    const labels = join(dir, 'l');
    copyFileSync(join(FIX, 'train-labels-idx1-ubyte'), labels);
    const good = readFileSync(join(FIX, 'train-images-idx3-ubyte'));
    const cases: [Uint8Array, RegExp][] = [
      [new TextEncoder().encode('P5 28 28 255 not idx'), /i1: is not an IDX file \(it does not start with two zero bytes\)/],
      [Uint8Array.from([0, 0, 0x07, 3, 0, 0, 0, 1]), /i2: is not an IDX file \(its third byte is no IDX type code\)/],
      [good.subarray(0, good.length - 100), /i3: is truncated: its header promises 30×28×28 ubyte values \(23536 bytes\) but the file holds 23436 bytes/],
      [Buffer.concat([good, Buffer.alloc(3)]), /i4: has 3 bytes after the 30×28×28 values/],
    ];
    for (let i = 0; i < cases.length; i++) {
      const f = join(dir, `i${i + 1}`);
      writeFileSync(f, cases[i][0]);
      await expect(loadDataset(`idx:${f},${labels}`)).rejects.toThrow(cases[i][1]);
    }
  });

  it('refuses labels that do not match the images, swapped files, bad gzip and missing standard files', async () => {
    const dir = tmp();
    const images = join(FIX, 'train-images-idx3-ubyte');
    const short = join(dir, 'short-labels');
    writeFileSync(short, encodeIdx('ubyte', [29], new Array(29).fill(1)));
    await expect(loadDataset(`idx:${images},${short}`)).rejects.toThrow(/short-labels: holds 29 labels but .* holds 30 images/);
    await expect(loadDataset(`idx:${join(FIX, 'train-labels-idx1-ubyte')},${images}`)).rejects.toThrow(/holds a 1-D array .*images must be N×H×W.*swapped/);
    const badGz = join(dir, 'bad.gz');
    writeFileSync(badGz, Buffer.concat([gunzipSync(readFileSync(join(FIX, 't10k-labels-idx1-ubyte.gz'))).subarray(0, 0), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3])]));
    await expect(loadDataset(`idx:${images},${badGz}`)).rejects.toThrow(/bad\.gz: looks gzipped but does not decompress/);
    await expect(loadDataset(`idx:${dir}`)).rejects.toThrow(/does not hold the standard train files \(train-images-idx3-ubyte/);
    await expect(loadDataset(`idx:${join(dir, 'missing')},${short}`)).rejects.toThrow(/missing: cannot be read \(ENOENT\)/);
  });
});
