// Coloured backgrounds: every image gets a background colour drawn from a seeded RNG (keyed by the
// seed and the example's index, so it never depends on batch order); the result has 3 channels.
// Blend per channel: out = x + (1 − x)·bg, so strokes (x = 1) stay white and the background (x = 0)
// takes the colour. A 1-channel image is broadcast to 3 channels first.
import { DatasetError } from '../errors';
import { makeDataset } from '../make';
import { Rng, mixSeed } from '../rng';
import { requireImage, type DatasetTask } from './task';

export const colorBgTask: DatasetTask = {
  name: 'color-bg',
  summary: 'Random coloured background per image (makes 3 channels)',
  usage: 'color-bg | color-bg:SEED',
  apply(d, args, id) {
    const [c, h, w] = requireImage(d, 'color-bg');
    if (c !== 1 && c !== 3) throw new DatasetError(id, `color-bg needs 1- or 3-channel images, these have ${c}`, 'Use it on gray or RGB images');
    const seed = args.trim() === '' ? 0 : Number(args);
    if (!Number.isInteger(seed)) throw new DatasetError(id, `color-bg seed "${args}" is not an integer`, 'Write e.g. color-bg:1');
    const plane = h * w;
    const out = new Float32Array(d.size * 3 * plane);
    for (let n = 0; n < d.size; n++) {
      const rng = new Rng(mixSeed(seed, n));
      for (let ch = 0; ch < 3; ch++) {
        const bg = rng.float();
        const src = (n * c + (c === 1 ? 0 : ch)) * plane, dst = (n * 3 + ch) * plane;
        for (let p = 0; p < plane; p++) {
          const x = d.inputs[src + p];
          out[dst + p] = x + (1 - x) * bg;
        }
      }
    }
    return makeDataset({ ...d, id, inputShape: [3, h, w], inputs: out, labels: d.labels.slice(), classNames: [...d.classNames] });
  },
};
