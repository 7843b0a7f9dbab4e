// Layer helpers that emit ONNX nodes with PyTorch's parameter names, layouts and default inits
// (nn.Linear / nn.Conv2d: kaiming_uniform(a=√5) ⇒ U(±1/√fan_in) for weights and biases).
import { GraphBuilder } from '../onnx/builder';
import type { ArchitectureGraph, StateTensorSpec } from './types';

export class NetBuilder {
  readonly b = new GraphBuilder('model');
  readonly tensors: StateTensorSpec[] = [];

  constructor(readonly inputName = 'input') { this.b.claim(inputName); }

  private param(name: string, shape: number[], init: StateTensorSpec['init'], role: StateTensorSpec['role'] = 'param', dtype: 'f32' | 'i64' = 'f32'): string {
    this.b.claim(name);
    this.tensors.push({ name, shape, dtype, role, init });
    return name;
  }

  linear(prefix: string, x: string, inF: number, outF: number, bias = true): string {
    const bound = 1 / Math.sqrt(inF);
    const w = this.param(`${prefix}.weight`, [outF, inF], { kind: 'uniform', bound });
    const ins = [x, w];
    if (bias) ins.push(this.param(`${prefix}.bias`, [outF], { kind: 'uniform', bound }));
    return this.b.op('Gemm', ins, { transB: 1 });
  }

  conv(prefix: string, x: string, cin: number, cout: number, k: number, o: { stride?: number; pad?: number; groups?: number; bias?: boolean } = {}): string {
    const groups = o.groups ?? 1, stride = o.stride ?? 1, pad = o.pad ?? 0;
    const bound = 1 / Math.sqrt((cin / groups) * k * k);
    const w = this.param(`${prefix}.weight`, [cout, cin / groups, k, k], { kind: 'uniform', bound });
    const ins = [x, w];
    if (o.bias ?? true) ins.push(this.param(`${prefix}.bias`, [cout], { kind: 'uniform', bound }));
    return this.b.op('Conv', ins, { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], group: groups });
  }

  /** nn.BatchNorm2d/1d defaults: eps 1e-5, momentum 0.1 (ONNX momentum 0.9). */
  batchNorm(prefix: string, x: string, c: number): string {
    const w = this.param(`${prefix}.weight`, [c], { kind: 'const', value: 1 });
    const bias = this.param(`${prefix}.bias`, [c], { kind: 'const', value: 0 });
    const rm = this.param(`${prefix}.running_mean`, [c], { kind: 'const', value: 0 }, 'running_mean');
    const rv = this.param(`${prefix}.running_var`, [c], { kind: 'const', value: 1 }, 'running_var');
    this.param(`${prefix}.num_batches_tracked`, [], { kind: 'const', value: 0 }, 'num_batches_tracked', 'i64');
    return this.b.op('BatchNormalization', [x, w, bias, rm, rv], { epsilon: { float: 1e-5 }, momentum: { float: 0.9 } });
  }

  relu(x: string): string { return this.b.op('Relu', [x]); }
  /** nn.Dropout(p): identity at inference; the trainer feeds its masks (autodiff/rules/dropout.ts). */
  dropout(x: string, ratio: number): string {
    if (ratio === 0) return x;
    return this.b.op('Dropout', [x, this.b.scalar(ratio)]);
  }
  maxPool(x: string, k: number, s = k): string { return this.b.op('MaxPool', [x], { kernel_shape: [k, k], strides: [s, s] }); }
  flatten(x: string): string { return this.b.op('Flatten', [x], { axis: 1 }); }
  add(a: string, c: string): string { return this.b.op('Add', [a, c]); }
  globalAvgPool(x: string): string { return this.b.op('GlobalAveragePool', [x]); }

  finish(arch: string, config: Record<string, unknown>, inputShape: number[], numClasses: number, logits: string): ArchitectureGraph {
    const out = this.b.op('Identity', [logits], {}, 'logits');
    return {
      arch, config, inputShape, numClasses, inputName: this.inputName, outputName: out,
      nodes: this.b.nodes, constants: this.b.initializers, tensors: this.tensors,
    };
  }
}

/** Conv output size (floor), as PyTorch computes it. */
export function convOut(size: number, k: number, stride = 1, pad = 0): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}
