// The sample order of a run: order files (JSON and text, checked), --no-shuffle, the seeded default, and
// how an epoch falls into full batches and a last smaller one.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOrders, OrderFileError, parseOrderText, readOrderFile } from '../../../main/engine/train/order-file';
import { epochSteps, sampleOrder, stepBatch, stepsPerEpoch } from '../../../main/engine/train/sample-order';
import { tempDir } from './helpers';

const sorted = (a: Int32Array) => [...a].sort((x, y) => x - y);

describe('order files', () => {
  it('reads JSON (one array per epoch, or one for all) and text (one line per epoch, comments, commas)', () => {
    expect(parseOrderText('[[2, 0, 1], [1, 2, 0]]', 'f')).toEqual([[2, 0, 1], [1, 2, 0]]);
    expect(parseOrderText(' [2, 0, 1]\n', 'f')).toEqual([[2, 0, 1]]);
    expect(parseOrderText('# from torch.randperm\n2 0 1\n\n1,2, 0\n', 'f')).toEqual([[2, 0, 1], [1, 2, 0]]);
  });

  it('refuses what no run could use, naming the epoch and the problem', () => {
    const bad: [string, number, RegExp][] = [
      ['', 2, /is empty/],
      ['[[0, 1, 2], [0, 1, 2], [0, 1, 2]]', 2, /holds 3 orders; give one .* or one per epoch \(2\)/],
      ['0 1 2\n0 1 x', 2, /line 2: "x" is not an integer/],
      ['[[0, 1, 2], [0, 1.5, 2]]', 2, /epoch 2: 1.5 is not an integer/],
      ['[[0, 1, 2], {"a": 1}]', 2, /entry 2 is not an array/],
      ['[[0, 1, 2', 2, /not valid JSON/],
      ['{"orders": []}', 2, /JSON array/],
      ['0 1 2\n0 1', 2, /epoch 2 lists 2 indices; the dataset has 3/],
      ['1 2 3', 1, /index 3 is outside 0…2 \(indices are 0-based\)/],
      ['0 1 1', 1, /index 1 appears twice/],
    ];
    for (const [text, epochs, message] of bad) {
      expect(() => checkOrders(parseOrderText(text, 'o.txt'), 3, epochs, 'o.txt'), text).toThrow(message);
    }
    expect(() => checkOrders([[0, 0, 1]], 3, 1, 'o.txt')).toThrow(OrderFileError);
  });

  it('readOrderFile checks against the dataset and the epochs; a missing file says so', async () => {
    const dir = tempDir('order');
    const file = path.join(dir, 'order.json');
    writeFileSync(file, JSON.stringify([[3, 1, 0, 2], [0, 1, 2, 3]]));
    expect((await readOrderFile(file, 4, 2)).map((o) => [...o])).toEqual([[3, 1, 0, 2], [0, 1, 2, 3]]);
    await expect(readOrderFile(file, 5, 2)).rejects.toThrow(/lists 4 indices; the dataset has 5/);
    await expect(readOrderFile(path.join(dir, 'none.json'), 4, 2)).rejects.toThrow(/cannot be read \(ENOENT\)/);
  });
});

describe('sampleOrder', () => {
  it('an order file gives its orders; one order serves every epoch', async () => {
    const dir = tempDir('order');
    const one = path.join(dir, 'one.txt');
    writeFileSync(one, '4 3 2 1 0\n');
    const of = await sampleOrder({ orderFile: one, seed: 1, epochs: 3 }, 5);
    expect([...of(1)]).toEqual([4, 3, 2, 1, 0]);
    expect([...of(3)]).toEqual([4, 3, 2, 1, 0]);
  });

  it('shuffle false keeps the dataset order; the default shuffles per seed and epoch', async () => {
    const plain = await sampleOrder({ shuffle: false, seed: 1, epochs: 2 }, 50);
    expect([...plain(2)]).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const a = await sampleOrder({ seed: 1, epochs: 2 }, 50), b = await sampleOrder({ seed: 2, epochs: 2 }, 50);
    expect(sorted(a(1))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...a(1)]).not.toEqual([...a(2)]);
    expect([...a(1)]).not.toEqual([...b(1)]);
    expect([...a(2)]).toEqual([...(await sampleOrder({ seed: 1, epochs: 2 }, 50))(2)]);
  });
});

describe('epochSteps', () => {
  it('keeps the last smaller batch unless dropLast, as PyTorch\'s DataLoader', () => {
    const keep = epochSteps(70, 16, false);
    expect(keep).toEqual({ full: 4, tail: 6, batchSize: 16 });
    expect(stepsPerEpoch(keep)).toBe(5);
    expect(stepBatch(keep, 3)).toEqual({ start: 48, size: 16 });
    expect(stepBatch(keep, 4)).toEqual({ start: 64, size: 6 });
    expect(stepsPerEpoch(epochSteps(70, 16, true))).toBe(4);
    expect(stepsPerEpoch(epochSteps(64, 16, false))).toBe(4);
  });
});
