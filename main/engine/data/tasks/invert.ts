// Inverted images: x -> 1 - x (dark digits on white), for images scaled to [0, 1].
import { makeDataset } from '../make';
import { requireImage, type DatasetTask } from './task';

export const invertTask: DatasetTask = {
  name: 'invert',
  summary: 'Invert intensities (1 − x)',
  usage: 'invert',
  apply(d, _args, id) {
    requireImage(d, 'invert');
    const out = new Float32Array(d.inputs.length);
    for (let i = 0; i < out.length; i++) out[i] = 1 - d.inputs[i];
    return makeDataset({ ...d, id, inputShape: [...d.inputShape], inputs: out, labels: d.labels.slice(), classNames: [...d.classNames] });
  },
};
