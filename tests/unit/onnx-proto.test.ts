import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { AttributeType, decodeModel, encodeModel, TensorDataType, type ModelProto } from '../../main/engine/onnx/proto';

function gemmModel(): ModelProto {
  const w = new Float32Array([1, 2, 3, 4, 5, 6]); // 2x3 (out x in)
  const b = new Float32Array([0.5, -0.5]);
  const f32 = (name: string, shape: (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: TensorDataType.FLOAT, shape: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } },
  });
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'merge-studio-test',
    metadataProps: [{ key: 'k', value: 'v' }],
    graph: {
      name: 'g',
      node: [{ opType: 'Gemm', input: ['x', 'w', 'b'], output: ['y'], attribute: [{ name: 'transB', type: AttributeType.INT, i: 1 }] }],
      initializer: [
        { name: 'w', dataType: TensorDataType.FLOAT, dims: [2, 3], rawData: new Uint8Array(w.buffer) },
        { name: 'b', dataType: TensorDataType.FLOAT, dims: [2], floatData: Array.from(b) },
      ],
      input: [f32('x', ['N', 3])],
      output: [f32('y', ['N', 2])],
      valueInfo: [],
    },
  };
}

describe('onnx protobuf codec', () => {
  it('encodes a model onnxruntime runs with the right numbers', async () => {
    const bytes = encodeModel(gemmModel());
    const session = await ort.InferenceSession.create(bytes);
    const x = new ort.Tensor('float32', new Float32Array([1, 0, -1, 2, 2, 2]), [2, 3]);
    const { y } = await session.run({ x });
    // row 0: [1-3, 4-6] + b ; row 1: [2*(1+2+3), 2*(4+5+6)] + b
    expect(Array.from(y.data as Float32Array)).toEqual([-2 + 0.5, -2 - 0.5, 12.5, 29.5]);
  });

  it('decodes what it encodes, field for field', () => {
    const m = gemmModel();
    const back = decodeModel(encodeModel(m));
    expect(back.irVersion).toBe(8);
    expect(back.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(back.metadataProps).toEqual([{ key: 'k', value: 'v' }]);
    expect(back.graph.node[0].opType).toBe('Gemm');
    expect(back.graph.node[0].attribute[0]).toMatchObject({ name: 'transB', i: 1, type: AttributeType.INT });
    expect(back.graph.initializer[0].dims).toEqual([2, 3]);
    expect(Array.from(new Float32Array(back.graph.initializer[0].rawData!.slice().buffer))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.graph.initializer[1].floatData).toEqual([0.5, -0.5]);
    expect(back.graph.input[0].type?.tensorType?.shape).toEqual([{ dimParam: 'N' }, { dimValue: 3 }]);
  });

  it('rejects bytes that are not a protobuf', () => {
    expect(() => decodeModel(new Uint8Array([0xff, 0xff, 0xff]))).toThrow();
    expect(() => decodeModel(new TextEncoder().encode('hello world, not onnx'))).toThrow();
  });
});
