// A small ResNet (torchvision naming) so alignment meets residual Adds. Base width w (default 16):
//   conv1 Conv(C→w,3,p1,no bias) bn1 ReLU
//   layer1.0: BasicBlock(w→w)           conv1/bn1/ReLU/conv2/bn2 + identity, ReLU
//   layer2.0: BasicBlock(w→2w, stride 2) with downsample.0 Conv1×1(stride 2) + downsample.1 BN
//   GlobalAveragePool → Flatten → fc Linear(2w→classes)
import { NetBuilder } from './layers';
import type { Architecture, ArchitectureOptions, NamedShape } from './types';

function basicBlock(n: NetBuilder, prefix: string, x: string, cin: number, cout: number, stride: number): string {
  let y = n.relu(n.batchNorm(`${prefix}.bn1`, n.conv(`${prefix}.conv1`, x, cin, cout, 3, { stride, pad: 1, bias: false }), cout));
  y = n.batchNorm(`${prefix}.bn2`, n.conv(`${prefix}.conv2`, y, cout, cout, 3, { pad: 1, bias: false }), cout);
  const shortcut = stride !== 1 || cin !== cout
    ? n.batchNorm(`${prefix}.downsample.1`, n.conv(`${prefix}.downsample.0`, x, cin, cout, 1, { stride, bias: false }), cout)
    : x;
  return n.relu(n.add(y, shortcut));
}

export const resnet: Architecture = {
  id: 'resnet',
  label: 'Small ResNet',
  describe(o: ArchitectureOptions) {
    const w = o.width ?? 16;
    return `Conv(${o.inputShape[0]}→${w})-BN-ReLU-BasicBlock(${w})-BasicBlock(${w}→${2 * w}, stride 2)-GlobalAvgPool-Linear(${2 * w}→${o.numClasses})`;
  },
  build(o) {
    if (o.inputShape.length !== 3) throw new Error(`resnet needs image inputs C×H×W, got [${o.inputShape.join(', ')}]`);
    const w = o.width ?? 16;
    const n = new NetBuilder();
    let x = n.relu(n.batchNorm('bn1', n.conv('conv1', n.inputName, o.inputShape[0], w, 3, { pad: 1, bias: false }), w));
    x = basicBlock(n, 'layer1.0', x, w, w, 1);
    x = basicBlock(n, 'layer2.0', x, w, 2 * w, 2);
    x = n.linear('fc', n.flatten(n.globalAvgPool(x)), 2 * w, o.numClasses);
    return n.finish('resnet', { width: w }, o.inputShape, o.numClasses, x);
  },
  inferOptions(tensors: NamedShape[]) {
    const first = tensors.find((t) => t.name === 'conv1.weight');
    return first && first.shape.length === 4 ? { width: first.shape[0] } : {};
  },
};
