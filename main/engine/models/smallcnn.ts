// SmallCNN of seed 002, exactly (state-dict names and layouts as PyTorch saves that class), on C×H×W:
//   features:   0 Conv2d(C→32, 3, padding=1)  1 ReLU  2 Conv2d(32→64, 3, padding=1)  3 ReLU  4 MaxPool2d(2)
//   classifier: 0 Flatten  1 Linear(64·⌊H/2⌋·⌊W/2⌋ → 256)  2 ReLU  3 Linear(256 → classes)
// On MNIST (1×28×28) the first Linear takes 64·14·14 = 12,544 features: 3.2 M parameters in all.
import { NetBuilder } from './layers';
import type { Architecture, ArchitectureOptions } from './types';

function dims(o: ArchitectureOptions): { C: number; h: number; w: number } {
  const [C, H, W] = o.inputShape;
  return { C, h: Math.floor(H / 2), w: Math.floor(W / 2) };
}

export const smallcnn: Architecture = {
  id: 'smallcnn',
  label: 'SmallCNN — two 3×3 convs, the classic checkpoint-averaging test net',
  describe(o) {
    const { C, h, w } = dims(o);
    return `Conv(${C}→32,3,pad1)-ReLU-Conv(32→64,3,pad1)-ReLU-MaxPool2-Flatten(64·${h}·${w}=${64 * h * w})-Linear(→256)-ReLU-Linear(256→${o.numClasses})`;
  },
  build(o) {
    if (o.inputShape.length !== 3) throw new Error(`smallcnn needs image inputs C×H×W, got [${o.inputShape.join(', ')}]`);
    const { C, h, w } = dims(o);
    if (h < 1 || w < 1) throw new Error(`smallcnn needs images of at least 2×2, got ${o.inputShape.slice(1).join('×')}`);
    const n = new NetBuilder();
    let x = n.relu(n.conv('features.0', n.inputName, C, 32, 3, { pad: 1 }));
    x = n.maxPool(n.relu(n.conv('features.2', x, 32, 64, 3, { pad: 1 })), 2);
    x = n.relu(n.linear('classifier.1', n.flatten(x), 64 * h * w, 256));
    x = n.linear('classifier.3', x, 256, o.numClasses);
    return n.finish('smallcnn', {}, o.inputShape, o.numClasses, x);
  },
};
