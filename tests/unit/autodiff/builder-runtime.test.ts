// The graph builder (names, typed attributes, constants) and runtime sessions (providers, fallback).
import { describe, expect, it } from 'vitest';
import { GraphBuilder, getAttr, OPSET } from '../../../main/engine/onnx/builder';
import { AttributeType, decodeModel, encodeModel, TensorDataType } from '../../../main/engine/onnx/proto';
import { availableProviders, createSession, f32 } from '../../../main/engine/runtime';

function leakyModel() {
  const b = new GraphBuilder('t');
  b.input('x', TensorDataType.FLOAT, ['N', 3]);
  const y = b.op('LeakyRelu', ['x'], { alpha: { float: 0.5 } });
  const z = b.op('Add', [y, b.constF([1, 2, 3], [3])]);
  b.output(b.op('Mul', [z, b.scalar(2)], {}, 'out'), TensorDataType.FLOAT, ['N', 3]);
  return b;
}

describe('GraphBuilder', () => {
  it('gives fresh unique names, refuses a name declared twice, and types attributes', () => {
    const b = new GraphBuilder('t');
    b.input('x', TensorDataType.FLOAT, [2]);
    expect(() => b.input('x', TensorDataType.FLOAT, [2])).toThrow(/already declared/);
    b.reserve(['relu_0']);
    const r = b.op('Relu', ['x']);
    expect(r).not.toBe('relu_0');
    const n = b.nodes[0];
    const c = b.op('Conv', ['x', 'w'], { strides: [2, 2], group: 1, alpha: { float: 1 }, auto_pad: 'NOTSET' });
    const conv = b.nodes.find((x) => x.output[0] === c)!;
    expect(conv.attribute.find((a) => a.name === 'strides')).toMatchObject({ type: AttributeType.INTS, ints: [2, 2] });
    expect(conv.attribute.find((a) => a.name === 'alpha')).toMatchObject({ type: AttributeType.FLOAT, f: 1 });
    expect(getAttr(conv, 'auto_pad', '')).toBe('NOTSET');
    expect(getAttr(conv, 'group', 9)).toBe(1);
    expect(getAttr(n, 'missing', 7)).toBe(7);
    expect(b.constI64([1, 2])).toBe(b.constI64([1, 2])); // small constants are shared
  });

  it('builds a model at our opset that onnxruntime runs with the right numbers, and round-trips', async () => {
    const m = leakyModel().toModel({ k: 'v' });
    expect(decodeModel(encodeModel(m)).opsetImport).toEqual([{ domain: '', version: OPSET }]);
    const { session, provider, fallback } = await createSession(m, { threads: 1 });
    expect(provider).toBe('cpu');
    expect(fallback).toBeUndefined();
    const r = await session.run({ x: f32(new Float32Array([-2, 0, 4, 1, -1, 0]), [2, 3]) });
    expect(Array.from(r.out.data as Float32Array)).toEqual([0, 4, 14, 4, 3, 6]);
  });
});

describe('runtime', () => {
  it('lists cpu first among the providers onnxruntime-node offers', () => {
    const p = availableProviders();
    expect(p[0]).toBe('cpu');
  });

  it('falls back to cpu with a reason when the asked provider cannot run here', async () => {
    const wanted = availableProviders().includes('dml') ? 'cuda' : 'dml';
    const { session, provider, fallback } = await createSession(leakyModel().toModel(), { provider: wanted, threads: 1 });
    if (provider === 'cpu') expect(fallback).toMatch(new RegExp(`"${wanted}".*running on cpu`));
    const r = await session.run({ x: f32(new Float32Array([1, 1, 1]), [1, 3]) });
    expect(Array.from(r.out.data as Float32Array)).toEqual([4, 6, 8]);
  });
});
