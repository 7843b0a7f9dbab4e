import { describe, expect, it } from 'vitest';
import { applyTask, listTasks, loadDataset } from '../../../main/engine/data';
import type { Dataset } from '../../../main/engine/data/types';

/** Typed arrays equal element for element (vitest's deep equality is slow on millions of values). */
function same(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
const img = (d: Dataset, i: number) => d.inputs.subarray(i * 784, (i + 1) * 784);
/** numpy's rot90 (counter-clockwise): out[y][x] = in[x][27 - y]. */
function rot90(a: Float32Array): number[] {
  const out: number[] = [];
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) out.push(a[x * 28 + (27 - y)]);
  return out;
}

describe('derived tasks', () => {
  it('subset keeps only the chosen digits with their labels (two domains: 0–4 and 5–9)', async () => {
    const test = await loadDataset('mnist:test');
    const low = await loadDataset('mnist:test?task=subset:0-4');
    const high = await loadDataset('mnist:test?task=subset:5-9');
    expect(low.size + high.size).toBe(2000);
    expect(low.size).toBe(test.labels.filter((y) => y <= 4).length);
    expect(low.labels.every((y) => y <= 4)).toBe(true);
    expect(high.labels.every((y) => y >= 5)).toBe(true);
    expect(low.numClasses).toBe(10);
    // the k-th kept example is the k-th such example of the source
    const firstHigh = test.labels.findIndex((y) => y >= 5);
    expect(Array.from(img(high, 0))).toEqual(Array.from(img(test, firstHigh)));
  });

  it('subset:…:remap renumbers the kept classes', async () => {
    const d = await loadDataset('mnist:test?task=subset:5-9:remap');
    expect(d.numClasses).toBe(5);
    expect(d.classNames).toEqual(['5', '6', '7', '8', '9']);
    const odd = await loadDataset('mnist:test?task=subset:1,3,7-9');
    expect(new Set(odd.labels)).toEqual(new Set([1, 3, 7, 8, 9]));
    await expect(loadDataset('mnist:test?task=subset:4-2')).rejects.toThrow(/runs backwards/);
    await expect(loadDataset('mnist:test?task=subset:12')).rejects.toThrow(/class 12 does not exist/);
  });

  it('rotate:90 is numpy rot90; four quarter turns give the original; 180 = 90 twice', async () => {
    const test = await loadDataset('mnist:test');
    const r90 = applyTask(test, 'rotate:90', 'r90');
    expect(Array.from(img(r90, 3))).toEqual(rot90(img(test, 3)));
    let r = test;
    for (let i = 0; i < 4; i++) r = applyTask(r, 'rotate:90', 'r');
    expect(same(r.inputs, test.inputs)).toBe(true);
    const r180 = applyTask(test, 'rotate:180', 'x');
    expect(same(r180.inputs, applyTask(r90, 'rotate:90', 'y').inputs)).toBe(true);
    expect(same(r180.inputs, test.inputs)).toBe(false);
    const r270 = applyTask(test, 'rotate:-90', 'x');
    expect(same(applyTask(r270, 'rotate:90', 'z').inputs, test.inputs)).toBe(true);
    expect(Array.from(r90.labels)).toEqual(Array.from(test.labels));
  });

  it('arbitrary angles rotate the same way (bilinear, zero fill)', async () => {
    const test = await loadDataset('mnist:test?task=subset:7');
    const exact = applyTask(test, 'rotate:90', 'a');
    const near = applyTask(test, 'rotate:89.99', 'b');
    let maxd = 0;
    for (let i = 0; i < exact.inputs.length; i++) maxd = Math.max(maxd, Math.abs(exact.inputs[i] - near.inputs[i]));
    expect(maxd).toBeLessThan(0.01);
    const r45 = applyTask(test, 'rotate:45', 'c');
    expect(r45.inputs[0]).toBe(0); // corners come from outside the image
    expect(Array.from(img(r45, 0))).not.toEqual(Array.from(img(test, 0)));
  });

  it('invert is 1 − x', async () => {
    const test = await loadDataset('mnist:test');
    const inv = await loadDataset('mnist:test?task=invert');
    expect(inv.inputs[0]).toBe(1);
    for (let i = 0; i < 2000; i += 97) expect(inv.inputs[i * 784 + 400]).toBeCloseTo(1 - test.inputs[i * 784 + 400], 6);
  });

  it('color-bg gives 3 channels: white strokes, one seeded colour per image, repeatable', async () => {
    const test = await loadDataset('mnist:test');
    const a = await loadDataset('mnist:test?task=color-bg:1');
    const b = await loadDataset('mnist:test?task=color-bg:1');
    const c = await loadDataset('mnist:test?task=color-bg:2');
    expect(a.inputShape).toEqual([3, 28, 28]);
    expect(same(a.inputs, b.inputs)).toBe(true);
    expect(Array.from(a.inputs.subarray(0, 2352))).not.toEqual(Array.from(c.inputs.subarray(0, 2352)));
    for (const n of [0, 5, 1999]) {
      const src = img(test, n);
      const out = a.inputs.subarray(n * 2352, (n + 1) * 2352);
      for (let ch = 0; ch < 3; ch++) {
        const bg = out[ch * 784]; // corner pixel is background (x = 0)
        for (let p = 0; p < 784; p++) expect(out[ch * 784 + p]).toBeCloseTo(src[p] + (1 - src[p]) * bg, 6);
      }
      const stroke = src.indexOf(1);
      if (stroke >= 0) for (let ch = 0; ch < 3; ch++) expect(out[ch * 784 + stroke]).toBe(1);
    }
    // backgrounds differ between images
    expect(a.inputs[0]).not.toBe(a.inputs[2352]);
  });

  it('image tasks refuse feature tables, and tasks are listed', async () => {
    const table = await loadDataset(`csv:${process.cwd()}/tests/fixtures/data/csv/digits-7x7.csv?label=digit`);
    expect(() => applyTask(table, 'rotate:90', 't')).toThrow(/needs images \(\[C, H, W\]\) but examples have shape \[49\]/);
    expect(listTasks().map((t) => t.name)).toEqual(['subset', 'rotate', 'invert', 'color-bg']);
  });
});
