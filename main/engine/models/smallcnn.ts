// SmallCNN of seed 002, on C×H×W (MNIST: 1×28×28):
//   features:   0 Conv(C→32, 3)  1 ReLU  2 MaxPool(2)  3 Conv(32→64, 3)  4 ReLU  5 MaxPool(2)
//   classifier: 0 Linear(64·h·w→128)  1 ReLU  2 Linear(128→classes)
// On 28×28: 28 →conv 26 →pool 13 →conv 11 →pool 5, so the Linear takes 64·5·5 = 1600 features.
import { convOut, NetBuilder } from './layers';
import type { Architecture, ArchitectureOptions } from './types';

function dims(o: ArchitectureOptions): { C: number; h: number; w: number } {
  const [C, H, W] = o.inputShape;
  const side = (s: number) => Math.floor(convOut(Math.floor(convOut(s, 3) / 2), 3) / 2);
  return { C, h: side(H), w: side(W) };
}

export const smallcnn: Architecture = {
  id: 'smallcnn',
  label: 'SmallCNN (seed 002)',
  describe(o) {
    const { C, h, w } = dims(o);
    return `Conv(${C}→32,3)-ReLU-MaxPool2-Conv(32→64,3)-ReLU-MaxPool2-Flatten(64·${h}·${w}=${64 * h * w})-Linear(→128)-ReLU-Linear(128→${o.numClasses})`;
  },
  build(o) {
    if (o.inputShape.length !== 3) throw new Error(`smallcnn needs image inputs C×H×W, got [${o.inputShape.join(', ')}]`);
    const { C, h, w } = dims(o);
    const n = new NetBuilder();
    let x = n.maxPool(n.relu(n.conv('features.0', n.inputName, C, 32, 3)), 2);
    x = n.maxPool(n.relu(n.conv('features.3', x, 32, 64, 3)), 2);
    x = n.flatten(x);
    x = n.relu(n.linear('classifier.0', x, 64 * h * w, 128));
    x = n.linear('classifier.2', x, 128, o.numClasses);
    return n.finish('smallcnn', {}, o.inputShape, o.numClasses, x);
  },
};
