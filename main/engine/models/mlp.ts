// MLP: flatten, then Linear+ReLU per hidden width, then Linear to the classes.
// PyTorch: layers = nn.Sequential(Linear(F,h1), ReLU(), Linear(h1,h2), ReLU(), …, Linear(hk, classes)),
// forward(x) = layers(x.flatten(1)). State-dict names: layers.0.weight, layers.2.weight, …
import { NetBuilder } from './layers';
import type { Architecture, ArchitectureOptions, NamedShape } from './types';

const DEFAULT_HIDDEN = [512, 512];

export const mlp: Architecture = {
  id: 'mlp',
  label: 'MLP',
  describe(o: ArchitectureOptions) {
    const f = o.inputShape.reduce((a, b) => a * b, 1);
    const widths = [f, ...(o.hidden ?? DEFAULT_HIDDEN), o.numClasses];
    return `Flatten → ${widths.slice(1).map((w, i) => `Linear(${widths[i]}→${w})`).join(' → ReLU → ')}`;
  },
  build(o: ArchitectureOptions) {
    const hidden = o.hidden ?? DEFAULT_HIDDEN;
    const n = new NetBuilder();
    let x = n.flatten(n.inputName);
    let f = o.inputShape.reduce((a, b) => a * b, 1);
    hidden.forEach((h, i) => { x = n.relu(n.linear(`layers.${2 * i}`, x, f, h)); f = h; });
    x = n.linear(`layers.${2 * hidden.length}`, x, f, o.numClasses);
    return n.finish('mlp', { hidden }, o.inputShape, o.numClasses, x);
  },
  inferOptions(tensors: NamedShape[]) {
    const layers = tensors.map((t) => ({ m: /^layers\.(\d+)\.weight$/.exec(t.name), t })).filter((x) => x.m && x.t.shape.length === 2)
      .sort((x, y) => Number(x.m![1]) - Number(y.m![1]));
    return layers.length >= 1 ? { hidden: layers.slice(0, -1).map((x) => x.t.shape[0]) } : {};
  },
};
