import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../../main/engine/data';
import { CancelledError, silentContext, type ProgressUpdate } from '../../../main/engine/job-context';

const FIX = join(process.cwd(), 'tests', 'fixtures', 'data');
const FOLDER = join(FIX, 'imagefolder');
const manifest = JSON.parse(readFileSync(join(FIX, 'imagefolder-manifest.json'), 'utf8')) as { file: string; mnistTestIndex: number; label: number; colour: boolean }[];
const tmp = () => mkdtempSync(join(tmpdir(), 'ms-imgf-'));

function correlation(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n, mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
  return sab / Math.sqrt(saa * sbb);
}

describe('image folder datasets', () => {
  it('decodes PNG and JPEG digits, resized to 28×28 gray, back to images close to the MNIST originals', async () => {
    const d = await loadDataset(`imagefolder:${FOLDER}?size=28&channels=1`);
    const test = await loadDataset('mnist:test');
    expect(d.classNames).toEqual(['0', '1', '7']);
    expect(d.numClasses).toBe(3);
    expect(d.size).toBe(6);
    expect(d.inputShape).toEqual([1, 28, 28]);
    // Files in class order, then name order: the manifest's order.
    expect(Array.from(d.labels)).toEqual(manifest.map((m) => d.classNames.indexOf(String(m.label))));
    manifest.forEach((m, i) => {
      const ours = d.inputs.subarray(i * 784, (i + 1) * 784);
      const orig = test.inputs.subarray(m.mnistTestIndex * 784, (m.mnistTestIndex + 1) * 784);
      // Resampled 28 -> 32/40 -> 28 (blurred) and for one file red-tinted, but the same digit.
      expect(correlation(ours, orig)).toBeGreaterThan(0.95);
      expect(Math.min(...ours)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...ours)).toBeLessThanOrEqual(1);
    });
  });

  it('defaults to the first image size and to RGB when any image has colour', async () => {
    const d = await loadDataset(`imagefolder:${FOLDER}`);
    expect(d.inputShape).toEqual([3, 32, 32]);
    const red = manifest.findIndex((m) => m.colour);
    const plane = 32 * 32;
    const img = d.inputs.subarray(red * 3 * plane, (red + 1) * 3 * plane);
    const sum = (c: number) => img.subarray(c * plane, (c + 1) * plane).reduce((s, v) => s + v, 0);
    expect(sum(0)).toBeGreaterThan(3 * sum(1)); // red strokes
    const gray = manifest.findIndex((m) => !m.colour && m.file.endsWith('.png'));
    const g = d.inputs.subarray(gray * 3 * plane, (gray + 1) * 3 * plane);
    expect(Array.from(g.subarray(0, plane))).toEqual(Array.from(g.subarray(plane, 2 * plane)));
  });

  it('reads a 28×28 gray PNG back to the exact digit (to 1/255)', async () => {
    const test = await loadDataset('mnist:test');
    const dir = tmp();
    mkdirSync(join(dir, String(test.labels[0])));
    const p = new PNG({ width: 28, height: 28 });
    for (let i = 0; i < 784; i++) { const v = Math.round(test.inputs[i] * 255); p.data.set([v, v, v, 255], 4 * i); }
    writeFileSync(join(dir, String(test.labels[0]), 'd.png'), PNG.sync.write(p));
    const d = await loadDataset(`imagefolder:${dir}`);
    expect(d.inputShape).toEqual([1, 28, 28]);
    for (let i = 0; i < 784; i++) expect(Math.abs(d.inputs[i] - test.inputs[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });

  it('chooses one channel by itself when all images are gray, and resizes to H×W', async () => {
    const dir = tmp();
    for (const cls of ['0', '1']) { mkdirSync(join(dir, cls)); copyFileSync(join(FOLDER, cls, 'a.png'), join(dir, cls, 'a.png')); }
    writeFileSync(join(dir, '0', 'notes.txt'), 'not an image: ignored');
    const d = await loadDataset(`imagefolder:${dir}?size=20x24`);
    expect(d.inputShape).toEqual([1, 20, 24]);
    expect(d.size).toBe(2);
  });

  it('refuses a folder with no classes, an empty class, a damaged or fake image (naming the file), a bad size', async () => {
    const empty = tmp();
    await expect(loadDataset(`imagefolder:${empty}`)).rejects.toThrow(/has no class sub-folders/);
    mkdirSync(join(empty, 'cats'));
    await expect(loadDataset(`imagefolder:${empty}`)).rejects.toThrow(/cats: holds no PNG or JPEG images/);

    const broken = tmp();
    mkdirSync(join(broken, 'a'));
    const png = readFileSync(join(FOLDER, '0', 'a.png'));
    writeFileSync(join(broken, 'a', 'cut.png'), png.subarray(0, 60));
    await expect(loadDataset(`imagefolder:${broken}`)).rejects.toThrow(/cut\.png: is a damaged PNG/);
    writeFileSync(join(broken, 'a', 'cut.png'), 'hello');
    await expect(loadDataset(`imagefolder:${broken}`)).rejects.toThrow(/cut\.png: is neither a PNG nor a JPEG/);

    await expect(loadDataset(`imagefolder:${FOLDER}?size=big`)).rejects.toThrow(/size=big is not a size/);
    await expect(loadDataset(`imagefolder:${FOLDER}?channels=2`)).rejects.toThrow(/channels=2 is not 1 or 3/);
    await expect(loadDataset(`imagefolder:${join(empty, 'nope')}`)).rejects.toThrow(/nope: cannot be read as a folder \(ENOENT\)/);
  });

  it('reports progress in images and stops when cancelled', async () => {
    const updates: ProgressUpdate[] = [];
    await loadDataset(`imagefolder:${FOLDER}`, { ...silentContext(), progress: (u) => updates.push(u) });
    expect(updates.at(-1)).toMatchObject({ done: 6, total: 6, unit: 'images' });
    const ac = new AbortController();
    ac.abort();
    await expect(loadDataset(`imagefolder:${FOLDER}`, silentContext(ac.signal))).rejects.toBeInstanceOf(CancelledError);
  });

  it('reads a PNG whose extension says JPEG (format from the bytes)', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'x'));
    const p = new PNG({ width: 4, height: 2 });
    p.data.fill(255);
    writeFileSync(join(dir, 'x', 'white.jpg'), PNG.sync.write(p));
    const d = await loadDataset(`imagefolder:${dir}`);
    expect(d.inputShape).toEqual([1, 2, 4]);
    expect(Array.from(d.inputs)).toEqual(new Array(8).fill(1));
  });
});
