// A sample-order file (--order FILE): the order of the training examples for each epoch, so that a run
// can replay the batches of another (a PyTorch script's sampler, written out). Two forms:
//   JSON  [[i, …], [i, …], …]  one array per epoch, or [i, …] for one order used in every epoch
//   text  one epoch per line, indices separated by spaces or commas ('#' starts a comment line)
// Each order must be a permutation of 0…n−1 (0-based), and the file must hold one order or one per epoch.
import { promises as fs } from 'node:fs';

/** Thrown for an order file that cannot be used; the message names the file, the epoch and what is wrong. */
export class OrderFileError extends Error {
  constructor(readonly file: string, message: string) { super(`order file ${file}: ${message}`); this.name = 'OrderFileError'; }
}

/** The orders in `text`, unchecked: numbers as written, one list per epoch. */
export function parseOrderText(text: string, file: string): number[][] {
  const trimmed = text.trim();
  if (!trimmed) throw new OrderFileError(file, 'is empty; write one order of sample indices per epoch');
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) return parseJson(trimmed, file);
  const lines = text.split(/\r?\n/);
  const orders: number[][] = [];
  lines.forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith('#')) return;
    orders.push(l.split(/[\s,]+/).filter(Boolean).map((tok) => {
      if (!/^[+-]?\d+$/.test(tok)) throw new OrderFileError(file, `line ${i + 1}: "${tok}" is not an integer sample index`);
      return Number(tok);
    }));
  });
  return orders;
}

function parseJson(text: string, file: string): number[][] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new OrderFileError(file, `is not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(v)) throw new OrderFileError(file, 'must hold a JSON array');
  const orders = v.length && v.every((x) => typeof x === 'number') ? [v] : v;
  return orders.map((o: unknown, e) => {
    if (!Array.isArray(o)) throw new OrderFileError(file, `entry ${e + 1} is not an array of sample indices`);
    return o.map((x: unknown) => {
      if (typeof x !== 'number' || !Number.isInteger(x)) throw new OrderFileError(file, `epoch ${e + 1}: ${JSON.stringify(x)} is not an integer sample index`);
      return x;
    });
  });
}

/** Checks that each order is a permutation of 0…n−1 and that there is one order, or one per epoch. */
export function checkOrders(orders: number[][], n: number, epochs: number, file: string): Int32Array[] {
  if (orders.length !== 1 && orders.length !== epochs) {
    throw new OrderFileError(file, `holds ${orders.length} orders; give one (used for every epoch) or one per epoch (${epochs})`);
  }
  return orders.map((o, e) => {
    const where = orders.length === 1 ? 'the order' : `epoch ${e + 1}`;
    if (o.length !== n) throw new OrderFileError(file, `${where} lists ${o.length} indices; the dataset has ${n} examples and each must appear once`);
    const seen = new Uint8Array(n);
    for (const i of o) {
      if (!(i >= 0 && i < n)) throw new OrderFileError(file, `${where}: index ${i} is outside 0…${n - 1} (indices are 0-based)`);
      if (seen[i]) throw new OrderFileError(file, `${where}: index ${i} appears twice`);
      seen[i] = 1;
    }
    return Int32Array.from(o);
  });
}

/** The checked orders of `file` for a dataset of `n` examples and a run of `epochs` epochs. */
export async function readOrderFile(file: string, n: number, epochs: number): Promise<Int32Array[]> {
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new OrderFileError(file, `cannot be read (${e.code ?? e.message}); check the path`);
  });
  return checkOrders(parseOrderText(text, file), n, epochs, file);
}
