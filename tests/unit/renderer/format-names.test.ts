// Numbers and layer names as the screens show them (format.ts, layer-names.ts).
import { describe, expect, it } from 'vitest';
import { formatParams, formatValue } from '../../../renderer/src/components/format';
import { groupLabel, nodeLabel } from '../../../renderer/src/components/layer-names';

describe('numbers from computations', () => {
  it('at most 4 significant digits, without float noise', () => {
    expect(formatValue(0.09999999999999998)).toBe('0.1');
    expect(formatValue(0.1 + 0.2)).toBe('0.3');
    expect(formatValue(1 / 3)).toBe('0.3333');
    expect(formatValue(-2 / 3)).toBe('-0.6667');
    expect(formatValue(123456)).toBe('123500');
    expect(formatValue(0.5)).toBe('0.5');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(1.23456e-7)).toBe('1.235e-7');
    expect(formatValue(NaN)).toBe('—');
  });

  it('leaves words alone and lists parameters', () => {
    expect(formatValue('ties')).toBe('ties');
    expect(formatParams({ alpha: 0.30000000000000004, method: 'slerp', normalize: true })).toBe('alpha 0.3, method slerp, normalize true');
  });
});

describe('layer names', () => {
  it('names a permutation group after its layer', () => {
    expect(groupLabel('P_layers.0')).toBe('layers.0');
    expect(groupLabel('P_block_1.0')).toBe('block_1.0');
    expect(groupLabel('features.3')).toBe('features.3');
  });

  it('words the nodes the engine named, and keeps the names from the user\'s file', () => {
    expect(nodeLabel('n_Gemm_0', 'Gemm')).toBe('Gemm 0 (linear layer)');
    expect(nodeLabel('n_Conv_12', 'Conv')).toBe('Conv 12 (convolution)');
    expect(nodeLabel('n_Foo_2', 'Foo')).toBe('Foo 2');
    expect(nodeLabel('/fc1/Gemm', 'Gemm')).toBe('/fc1/Gemm');
    expect(nodeLabel('', 'Relu')).toBe('Relu (ReLU)');
  });
});
