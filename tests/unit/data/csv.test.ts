import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../../main/engine/data';

const FIX = join(process.cwd(), 'tests', 'fixtures', 'data', 'csv');
const NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

function writeTmp(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'ms-csv-')), 't.csv');
  writeFileSync(f, text);
  return f;
}

/** Average-pools a 28×28 digit to 7×7. */
function pooled(img: Float32Array): number[] {
  const out: number[] = [];
  for (let by = 0; by < 7; by++) for (let bx = 0; bx < 7; bx++) {
    let s = 0;
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) s += img[(by * 4 + y) * 28 + bx * 4 + x];
    out.push(s / 16);
  }
  return out;
}

describe('csv datasets', () => {
  it('reads pooled MNIST features with a named label column (header detected)', async () => {
    const d = await loadDataset(`csv:${join(FIX, 'digits-7x7.csv')}?label=digit`);
    const test = await loadDataset('mnist:test');
    expect(d.size).toBe(40);
    expect(d.inputShape).toEqual([49]);
    expect(Array.from(d.labels)).toEqual(Array.from(test.labels.subarray(0, 40)));
    for (const i of [0, 17, 39]) {
      const ref = pooled(test.inputs.subarray(i * 784, (i + 1) * 784));
      ref.forEach((v, j) => expect(Math.abs(d.inputs[i * 49 + j] - v)).toBeLessThan(6e-5));
    }
  });

  it('takes the last column as label by default, and text labels as sorted class names (no header, CRLF)', async () => {
    const d = await loadDataset(join(FIX, 'digits-7x7-named.csv'));
    const test = await loadDataset('mnist:test');
    expect(d.inputShape).toEqual([49]);
    const present = [...new Set(Array.from(test.labels.subarray(0, 40), (y) => NAMES[y]))].sort();
    expect(d.classNames).toEqual(present);
    expect(Array.from(d.labels, (y) => d.classNames[y])).toEqual(Array.from(test.labels.subarray(0, 40), (y) => NAMES[y]));
  });

  it('accepts a label by index, quoted fields and ; as delimiter', async () => {
    const f = writeTmp('2;0;1\n"1,5";2;0\n');
    await expect(loadDataset(`csv:${f}?delimiter=;&label=2`)).rejects.toThrow(/line 2, column 0 \(counting from 0\) is not a number/);
    const q = await loadDataset(`csv:${writeTmp('2;"7";1\n"1";2.5;"0"\n')}?delimiter=;&label=0`);
    expect(Array.from(q.inputs)).toEqual([7, 1, 2.5, 0]);
    expect(Array.from(q.labels)).toEqual([2, 1]);
    const g = writeTmp('a;b;y\n1.5;2;0\n3;"4";1\n');
    const d = await loadDataset(`csv:${g}?delimiter=;&label=y`);
    expect(Array.from(d.inputs)).toEqual([1.5, 2, 3, 4]);
    expect(Array.from(d.labels)).toEqual([0, 1]);
  });

  it('says what is wrong: unknown label column, missing label, non-number, ragged row, empty file', async () => {
    const f = join(FIX, 'digits-7x7.csv');
    await expect(loadDataset(`csv:${f}?label=class`)).rejects.toThrow(/digits-7x7\.csv: has no label column "class"; none of the 50 names in its header row is "class"/);
    await expect(loadDataset(`csv:${writeTmp('1,2,0\n3,4,\n')}`)).rejects.toThrow(/t\.csv: line 2 has no label \(column 2 is empty\)/);
    await expect(loadDataset(`csv:${writeTmp('x,y\n1,0\nabc,1\n')}`)).rejects.toThrow(/line 3, column 0 \(counting from 0\) is not a number/);
    await expect(loadDataset(`csv:${writeTmp('1,2,0\n3,1\n')}`)).rejects.toThrow(/line 2 has 2 fields, the first row has 3/);
    await expect(loadDataset(`csv:${writeTmp('\n\n')}`)).rejects.toThrow(/is empty/);
    await expect(loadDataset(`csv:${writeTmp('1,2,0\n')}?label=y`)).rejects.toThrow(/no label column "y"; it has no header row and 3 columns/);
  });

  it('names lines and column indices in its errors, never a header name or a cell of the file', async () => {
    const secret = `hunter2-${process.pid}`;
    const cases: [string, string, RegExp][] = [
      [`${secret},b,y\n1,2,0\n`, '?label=nope', /has no label column "nope"; none of the 3 names in its header row is "nope"/],
      [`a,b,y\n1,${secret},0\n`, '?header=yes', /line 2, column 1 \(counting from 0\) is not a number/],
      [`${secret},b,y\n1,2,\n`, '', /line 2 has no label \(column 2 is empty\)/],
      [`a,${secret}\n1\n`, '', /line 2 has 1 fields, the first row has 2/],
    ];
    for (const [text, options, expected] of cases) {
      const message = await loadDataset(`csv:${writeTmp(text)}${options}`).then(() => '', (e: Error) => e.message);
      expect(message).toMatch(expected);
      expect(message).not.toContain(secret);
    }
  });
});
