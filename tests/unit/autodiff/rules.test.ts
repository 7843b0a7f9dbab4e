// Every backward rule against central finite differences (float32 through onnxruntime, step 1e-2).
import { describe, expect, it } from 'vitest';
import { gradCheck, spread } from './gradcheck';
import { supportedOps } from '../../../main/engine/autodiff/registry';

async function expectGood(p: ReturnType<typeof gradCheck>): Promise<void> {
  const r = await p;
  expect(r.checked).toBeGreaterThan(0);
  expect(r.worst).toBeLessThanOrEqual(1);
}

describe('backward rules vs finite differences', () => {
  it('Gemm, all transpose combinations, alpha/beta, broadcast bias', async () => {
    for (const [tA, tB] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
      await expectGood(gradCheck(
        [{ name: 'a', shape: tA ? [4, 3] : [3, 4] }, { name: 'w', shape: tB ? [5, 4] : [4, 5] }, { name: 'c', shape: [5] }],
        (b) => [b.op('Gemm', ['a', 'w', 'c'], { transA: tA, transB: tB, alpha: { float: 0.7 }, beta: { float: 1.3 } })],
      ));
    }
  });
  it('Gemm without bias', async () => {
    await expectGood(gradCheck([{ name: 'a', shape: [3, 4] }, { name: 'w', shape: [2, 4] }], (b) => [b.op('Gemm', ['a', 'w'], { transB: 1 })]));
  });
  it('MatMul with batch broadcasting', async () => {
    await expectGood(gradCheck([{ name: 'a', shape: [2, 3, 4] }, { name: 'w', shape: [4, 5] }], (b) => [b.op('MatMul', ['a', 'w'])]));
    await expectGood(gradCheck([{ name: 'a', shape: [3, 4] }, { name: 'w', shape: [2, 4, 2] }], (b) => [b.op('MatMul', ['a', 'w'])]));
  });
  it('Add, Sub, Mul with broadcasting on both sides', async () => {
    for (const op of ['Add', 'Sub', 'Mul']) {
      await expectGood(gradCheck([{ name: 'a', shape: [2, 3, 4] }, { name: 'c', shape: [3, 1] }], (b) => [b.op(op, ['a', 'c'])]));
      await expectGood(gradCheck([{ name: 'a', shape: [1, 4] }, { name: 'c', shape: [3, 1] }], (b) => [b.op(op, ['a', 'c'])]));
    }
  });
  it('Add feeding two consumers accumulates gradients', async () => {
    await expectGood(gradCheck([{ name: 'a', shape: [3, 4] }], (b) => {
      const t = b.op('Tanh', ['a']);
      return [b.op('Mul', [t, b.op('Add', [t, 'a'])])];
    }));
  });
  it('Relu, LeakyRelu, Sigmoid, Tanh', async () => {
    await expectGood(gradCheck([{ name: 'x', shape: [4, 6], data: spread(24, 2) }], (b) => [b.op('Relu', ['x'])]));
    await expectGood(gradCheck([{ name: 'x', shape: [4, 6], data: spread(24, 3) }], (b) => [b.op('LeakyRelu', ['x'], { alpha: { float: 0.1 } })]));
    await expectGood(gradCheck([{ name: 'x', shape: [4, 6] }], (b) => [b.op('Sigmoid', ['x'])]));
    await expectGood(gradCheck([{ name: 'x', shape: [4, 6] }], (b) => [b.op('Tanh', ['x'])]));
  });
  it('Conv: plain, stride+padding, dilation, groups, odd sizes', async () => {
    const cases: [number[], number[], Record<string, number[] | number>][] = [
      [[2, 3, 6, 6], [4, 3, 3, 3], {}],
      [[2, 2, 7, 7], [3, 2, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }],
      [[1, 2, 8, 7], [2, 2, 3, 2], { dilations: [2, 1], pads: [1, 0, 2, 1] }],
      [[2, 4, 5, 5], [6, 2, 3, 3], { group: 2, pads: [1, 1, 1, 1] }],
      [[1, 2, 6, 6], [3, 2, 1, 1], { strides: [2, 2] }],
    ];
    for (const [xs, ws, attrs] of cases) {
      await expectGood(gradCheck(
        [{ name: 'x', shape: xs }, { name: 'w', shape: ws }, { name: 'bias', shape: [ws[0]] }],
        (b) => [b.op('Conv', ['x', 'w', 'bias'], { kernel_shape: ws.slice(2), ...attrs })],
        { maxPerInput: 30 },
      ));
    }
  });
  it('Conv with auto_pad SAME_UPPER / SAME_LOWER and stride 2', async () => {
    for (const autoPad of ['SAME_UPPER', 'SAME_LOWER']) {
      await expectGood(gradCheck(
        [{ name: 'x', shape: [1, 2, 5, 6] }, { name: 'w', shape: [2, 2, 2, 3] }],
        (b) => [b.op('Conv', ['x', 'w'], { kernel_shape: [2, 3], strides: [2, 2], auto_pad: autoPad })],
        { maxPerInput: 30 },
      ));
    }
  });
  it('MaxPool (non-overlapping and overlapping windows)', async () => {
    await expectGood(gradCheck([{ name: 'x', shape: [2, 2, 4, 4], data: spread(64, 4) }],
      (b) => [b.op('MaxPool', ['x'], { kernel_shape: [2, 2], strides: [2, 2] })]));
    await expectGood(gradCheck([{ name: 'x', shape: [1, 2, 5, 5], data: spread(50, 5) }],
      (b) => [b.op('MaxPool', ['x'], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] })]));
    await expectGood(gradCheck([{ name: 'x', shape: [1, 2, 5, 5], data: spread(50, 6) }],
      (b) => [b.op('MaxPool', ['x'], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })]));
  });
  it('AveragePool and GlobalAveragePool', async () => {
    await expectGood(gradCheck([{ name: 'x', shape: [2, 2, 5, 5] }], (b) => [b.op('AveragePool', ['x'], { kernel_shape: [2, 2], strides: [2, 2] })]));
    await expectGood(gradCheck([{ name: 'x', shape: [1, 2, 5, 5] }], (b) => [b.op('AveragePool', ['x'], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 1 })]));
    await expectGood(gradCheck([{ name: 'x', shape: [2, 3, 3, 4] }], (b) => [b.op('GlobalAveragePool', ['x'])]));
  });
  it('BatchNormalization in training mode (4-D and 2-D)', async () => {
    await expectGood(gradCheck(
      [{ name: 'x', shape: [4, 3, 3, 3] }, { name: 'g', shape: [3] }, { name: 'bb', shape: [3] },
        { name: 'rm', shape: [3], grad: false }, { name: 'rv', shape: [3], grad: false, data: new Float32Array([1, 2, 3]) }],
      (b) => [b.op('BatchNormalization', ['x', 'g', 'bb', 'rm', 'rv'], { epsilon: { float: 1e-5 }, momentum: { float: 0.9 } })],
    ));
    await expectGood(gradCheck(
      [{ name: 'x', shape: [6, 4] }, { name: 'g', shape: [4] }, { name: 'bb', shape: [4] },
        { name: 'rm', shape: [4], grad: false }, { name: 'rv', shape: [4], grad: false, data: new Float32Array([1, 1, 1, 1]) }],
      (b) => [b.op('BatchNormalization', ['x', 'g', 'bb', 'rm', 'rv'])],
    ));
  });
  it('Flatten, Reshape, Concat, Identity', async () => {
    await expectGood(gradCheck([{ name: 'x', shape: [2, 3, 2, 2] }], (b) => [b.op('Tanh', [b.op('Flatten', ['x'], { axis: 1 })])]));
    await expectGood(gradCheck([{ name: 'x', shape: [2, 6] }], (b) => [b.op('Reshape', [b.op('Identity', ['x']), b.constI64([3, 4])])]));
    await expectGood(gradCheck([{ name: 'x', shape: [2, 3] }, { name: 'y', shape: [2, 2] }], (b) => [b.op('Concat', ['x', 'y'], { axis: 1 })]));
  });
  it('Dropout with a mask fed from JS (and ratio 0 as identity)', async () => {
    const r = await gradCheck([{ name: 'x', shape: [4, 5] }], (b) => [b.op('Tanh', [b.op('Dropout', ['x', b.scalar(0.5)])])]);
    expect(r.worst).toBeLessThanOrEqual(1);
    const g = r.analytic.get('x')!;
    expect(g.some((v) => v === 0)).toBe(true); // dropped units get no gradient
    await expectGood(gradCheck([{ name: 'x', shape: [3, 3] }], (b) => [b.op('Dropout', ['x', b.scalar(0)])]));
  });
  it('gradients stop at shape computations: x.view(x.size(0), -1) as PyTorch exports it', async () => {
    await expectGood(gradCheck([{ name: 'x', shape: [2, 3, 2, 2] }], (b) => {
      const t = b.op('Tanh', ['x']);
      const n = b.op('Unsqueeze', [b.op('Gather', [b.op('Shape', [t]), b.constI64([0], [])], { axis: 0 }), b.constI64([0])]);
      const shape = b.op('Concat', [n, b.constI64([-1])], { axis: 0 });
      return [b.op('Reshape', [t, shape])];
    }));
  });
  it('LogSoftmax', async () => {
    await expectGood(gradCheck([{ name: 'x', shape: [3, 5] }], (b) => [b.op('LogSoftmax', ['x'], { axis: 1 })]));
  });
  it('the analytic gradient equals the closed form (Sigmoid: σ(x)(1−σ(x))·seed)', async () => {
    const x = Float32Array.from([-2, -0.5, 0, 0.3, 1, 4]);
    const r = await gradCheck([{ name: 'x', shape: [6], data: x }], (b) => [b.op('Sigmoid', ['x'])], { seed: 9 });
    // recompute the seed the harness drew: its first draws after the input data come from the same Rng
    const g = r.analytic.get('x')!;
    for (let i = 0; i < 6; i++) {
      const s = 1 / (1 + Math.exp(-x[i]));
      expect(Math.abs(g[i] / (s * (1 - s)) - r.seeds[0][i])).toBeLessThan(1e-4);
    }
  });
  it('has a rule for every op the issue lists', () => {
    for (const op of ['Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Conv', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'MaxPool', 'AveragePool',
      'GlobalAveragePool', 'BatchNormalization', 'Dropout', 'Flatten', 'Reshape', 'Concat', 'LogSoftmax']) {
      expect(supportedOps()).toContain(op);
    }
  });
});
