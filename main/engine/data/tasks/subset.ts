// Class subsets: "subset:0-4", "subset:0,2,7-9"; add ":remap" to renumber the kept classes 0..k-1
// (a k-way head). Without it labels and numClasses stay those of the full dataset, so a model of the
// subset is still evaluated and merged on the full label space (the seed-001 "two domains" setting).
import { DatasetError } from '../errors';
import { makeDataset, exampleLength } from '../make';
import type { DatasetTask } from './task';

export function parseClassList(text: string, numClasses: number, source: string): number[] {
  const classes = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new DatasetError(source, `"${part}" is not a class or a range in subset:${text}`, 'Write e.g. subset:0-4 or subset:1,3,5');
    const a = Number(m[1]), b = Number(m[2] ?? m[1]);
    if (b < a) throw new DatasetError(source, `range ${part} runs backwards`, `Write ${b}-${a}`);
    for (let c = a; c <= b; c++) {
      if (c >= numClasses) throw new DatasetError(source, `class ${c} does not exist (the dataset has classes 0..${numClasses - 1})`, 'Pick classes in range');
      classes.add(c);
    }
  }
  return [...classes].sort((x, y) => x - y);
}

export const subsetTask: DatasetTask = {
  name: 'subset',
  summary: 'Keep only some classes (e.g. digits 0–4)',
  usage: 'subset:0-4 | subset:0,2,7-9 | subset:5-9:remap',
  apply(d, args, id) {
    const remap = /:remap$/.test(args);
    const list = remap ? args.slice(0, -':remap'.length) : args;
    if (!list) throw new DatasetError(id, 'subset needs classes', 'Write e.g. subset:0-4');
    const keep = parseClassList(list, d.numClasses, id);
    const newIndex = new Int32Array(d.numClasses).fill(-1);
    keep.forEach((c, i) => { newIndex[c] = i; });
    const per = exampleLength(d);
    const chosen: number[] = [];
    for (let i = 0; i < d.size; i++) if (newIndex[d.labels[i]] >= 0) chosen.push(i);
    if (chosen.length === 0) throw new DatasetError(id, `no example has class ${list}`, 'Pick classes that occur in the dataset');
    const inputs = new Float32Array(chosen.length * per);
    const labels = new Int32Array(chosen.length);
    chosen.forEach((src, i) => {
      inputs.set(d.inputs.subarray(src * per, (src + 1) * per), i * per);
      labels[i] = remap ? newIndex[d.labels[src]] : d.labels[src];
    });
    return makeDataset({
      id, inputShape: [...d.inputShape], inputs, labels, size: chosen.length,
      numClasses: remap ? keep.length : d.numClasses,
      classNames: remap ? keep.map((c) => d.classNames[c]) : [...d.classNames],
    });
  },
};
