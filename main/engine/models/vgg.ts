// VGG with BatchNorm of seed 001, with the module tree (and so the state-dict names) PyTorch saves for it:
//   block_1 … block_B:  (Conv2d(cin→c, 3, padding=1), BatchNorm2d(c), ReLU) per conv, then MaxPool2d(2)
//                        → block_1.0.weight, block_1.1.{weight,bias,running_mean,running_var}, block_1.3.weight, …
//   classifier:         (Linear(→h), ReLU, Dropout(p)) per hidden width, then Linear(→classes)
//                        → classifier.0, classifier.3, classifier.6 for two hidden widths
// Options: width w (default 32) gives blocks [[w, w], [2w, 2w]]; `blocks` gives every conv's channels;
// `hidden` the classifier's widths (default [128, 128]); `dropout` its ratio (default 0.5, as nn.Dropout()).
// All of them are read off a state dict's shapes by inferOptions, so `--arch vgg` takes such a file as it is.
import { NetBuilder } from './layers';
import type { Architecture, ArchitectureOptions, NamedShape } from './types';

const DEFAULT_HIDDEN = [128, 128];

function blocksOf(o: ArchitectureOptions): number[][] {
  if (o.blocks) return o.blocks;
  const w = o.width ?? 32;
  return [[w, w], [2 * w, 2 * w]];
}

function flatSize(o: ArchitectureOptions, blocks: number[][]): { f: number; h: number; w: number; c: number } {
  let [, h, w] = o.inputShape;
  for (let i = 0; i < blocks.length; i++) { h = Math.floor(h / 2); w = Math.floor(w / 2); }
  const c = blocks[blocks.length - 1].at(-1)!;
  return { f: c * h * w, h, w, c };
}

export const vgg: Architecture = {
  id: 'vgg',
  label: 'VGG with BatchNorm — conv blocks and a dropout classifier',
  describe(o) {
    const blocks = blocksOf(o);
    const { f, h, w, c } = flatSize(o, blocks);
    const hidden = o.hidden ?? DEFAULT_HIDDEN;
    const blockText = blocks.map((b) => `[${b.map((ch) => `Conv(→${ch})-BN-ReLU`).join('-')}-MaxPool2]`).join('-');
    return `${blockText}-Flatten(${c}·${h}·${w}=${f})-${hidden.map((x) => `Linear(→${x})-ReLU-Dropout`).join('-')}-Linear(→${o.numClasses})`;
  },
  build(o) {
    if (o.inputShape.length !== 3) throw new Error(`vgg needs image inputs C×H×W, got [${o.inputShape.join(', ')}]`);
    const blocks = blocksOf(o);
    const hidden = o.hidden ?? DEFAULT_HIDDEN;
    const dropout = o.dropout ?? 0.5;
    const { f } = flatSize(o, blocks);
    if (f < 1) throw new Error(`vgg: ${blocks.length} pooling blocks shrink a ${o.inputShape.slice(1).join('×')} image to nothing; use fewer blocks`);
    const n = new NetBuilder();
    let x = n.inputName;
    let cin = o.inputShape[0];
    blocks.forEach((convs, b) => {
      convs.forEach((cout, i) => {
        x = n.conv(`block_${b + 1}.${3 * i}`, x, cin, cout, 3, { pad: 1 });
        x = n.relu(n.batchNorm(`block_${b + 1}.${3 * i + 1}`, x, cout));
        cin = cout;
      });
      x = n.maxPool(x, 2);
    });
    x = n.flatten(x);
    let fin = f;
    hidden.forEach((h, i) => {
      x = n.dropout(n.relu(n.linear(`classifier.${3 * i}`, x, fin, h)), dropout);
      fin = h;
    });
    x = n.linear(`classifier.${3 * hidden.length}`, x, fin, o.numClasses);
    return n.finish('vgg', { blocks, hidden, dropout }, o.inputShape, o.numClasses, x);
  },
  inferOptions(tensors: NamedShape[]) {
    const blocks: number[][] = [];
    for (const t of tensors) {
      const m = /^block_(\d+)\.(\d+)\.weight$/.exec(t.name);
      if (!m || t.shape.length !== 4) continue;
      const b = Number(m[1]) - 1, i = Number(m[2]) / 3;
      (blocks[b] ??= [])[i] = t.shape[0];
    }
    const linears = tensors.map((t) => ({ m: /^classifier\.(\d+)\.weight$/.exec(t.name), t })).filter((x) => x.m && x.t.shape.length === 2)
      .sort((a, b) => Number(a.m![1]) - Number(b.m![1]));
    const out: Partial<ArchitectureOptions> = {};
    // Only a complete, gap-free layout is taken; anything else is left to the build's own shape checks.
    if (blocks.length && [...blocks].every((b) => b && b.length && [...b].every((c) => c > 0))) out.blocks = blocks;
    if (linears.length >= 1) out.hidden = linears.slice(0, -1).map((x) => x.t.shape[0]);
    return out;
  },
};
