// VGG-style CNN with BatchNorm (seed 001), base width w (default 32), on C×H×W:
//   features: 0 Conv(C→w,3,p1) 1 BN 2 ReLU 3 Conv(w→w,3,p1) 4 BN 5 ReLU 6 MaxPool2
//             7 Conv(w→2w,3,p1) 8 BN 9 ReLU 10 Conv(2w→2w,3,p1) 11 BN 12 ReLU 13 MaxPool2
//   classifier: 0 Linear(2w·(H/4)·(W/4)→128) 1 ReLU 2 Linear(128→classes)
import { NetBuilder } from './layers';
import type { Architecture, ArchitectureOptions } from './types';

export const vgg: Architecture = {
  id: 'vgg',
  label: 'VGG-style CNN with BatchNorm (seed 001)',
  describe(o: ArchitectureOptions) {
    const w = o.width ?? 32;
    const [C, H, W] = o.inputShape;
    const f = 2 * w * Math.floor(Math.floor(H / 2) / 2) * Math.floor(Math.floor(W / 2) / 2);
    return `[Conv(${C}→${w})-BN-ReLU]×2-MaxPool2-[Conv(→${2 * w})-BN-ReLU]×2-MaxPool2-Flatten(${f})-Linear(→128)-ReLU-Linear(→${o.numClasses})`;
  },
  build(o) {
    if (o.inputShape.length !== 3) throw new Error(`vgg needs image inputs C×H×W, got [${o.inputShape.join(', ')}]`);
    const w = o.width ?? 32;
    const [C, H, W] = o.inputShape;
    const n = new NetBuilder();
    let x = n.inputName;
    let cin = C, idx = 0;
    for (const cout of [w, w, 'M', 2 * w, 2 * w, 'M'] as const) {
      if (cout === 'M') { x = n.maxPool(x, 2); idx += 1; continue; }
      x = n.conv(`features.${idx}`, x, cin, cout, 3, { pad: 1 });
      x = n.relu(n.batchNorm(`features.${idx + 1}`, x, cout));
      idx += 3; cin = cout;
    }
    const f = 2 * w * Math.floor(Math.floor(H / 2) / 2) * Math.floor(Math.floor(W / 2) / 2);
    x = n.relu(n.linear('classifier.0', n.flatten(x), f, 128));
    x = n.linear('classifier.2', x, 128, o.numClasses);
    return n.finish('vgg', { width: w }, o.inputShape, o.numClasses, x);
  },
};
