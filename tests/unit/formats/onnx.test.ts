import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { createOnnxWriter, onnxReader, onnxWriter } from '../../../main/engine/formats/onnx';
import { safetensorsReader } from '../../../main/engine/formats/safetensors';
import { ModelFileError, type FormatWriter, type ModelSource } from '../../../main/engine/formats/types';
import { encodeModel, TensorDataType, type ModelProto } from '../../../main/engine/onnx/proto';
import { toFloat32 } from '../../../main/engine/tensor/dtypes';
import { expected, f32, fixture, tempDir } from './format-fixtures';

const tmp = tempDir();
afterAll(() => tmp.remove());

async function withSource<T>(file: string, fn: (s: ModelSource) => Promise<T>): Promise<T> {
  const s = await onnxReader.open(file);
  try { return await fn(s); } finally { await s.close(); }
}

async function runTinyCnn(file: string): Promise<number[]> {
  const session = await ort.InferenceSession.create(file);
  const x = new ort.Tensor('float32', Float32Array.from(expected.input.values), expected.input.shape);
  const { logits } = await session.run({ x });
  await session.release();
  return Array.from(logits.data as Float32Array);
}

function checkModel(file: string): void {
  // onnx.checker with a path also checks external data; throws (non-zero exit) on any violation
  execFileSync('/usr/bin/python3', ['-c', 'import onnx, sys; onnx.checker.check_model(sys.argv[1], full_check=True)', file], { stdio: 'pipe' });
}

/** Writes model B's weights (from safetensors) into model A's graph. */
async function writeBIntoA(out: string, writer: FormatWriter, graphFrom = fixture('tiny_cnn.onnx'), only?: string[], metadata?: Record<string, string>): Promise<void> {
  const b = await safetensorsReader.open(fixture('tiny_cnn_b.safetensors'));
  try {
    const tensors = b.tensors.filter((t) => !only || only.includes(t.name));
    const session = await writer.begin(out, tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })), { graphFrom, metadata });
    for (const t of tensors) await session.writeTensor(t.name, await t.read());
    await session.finish();
  } finally {
    await b.close();
  }
}

function expectClose(actual: number[], want: number[]): void {
  expect(actual.length).toBe(want.length);
  actual.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
}

describe('onnx reader', () => {
  for (const name of ['tiny_cnn.onnx', 'tiny_cnn_external.onnx']) {
    it(`reads a torch.onnx.export (${name}): initializers equal PyTorch's weights, graph filled`, async () => {
      await withSource(fixture(name), async (s) => {
        expect(s.format).toBe('onnx');
        expect(s.metadata).toEqual({ made_by: 'make_format_fixtures.py' });
        expect(s.tensors.map((t) => t.name)).toEqual(Object.keys(expected.a.tensors));
        for (const t of s.tensors) {
          expect(t.shape).toEqual(expected.a.tensors[t.name].shape);
          expect(Array.from(toFloat32(await t.read(), t.dtype))).toEqual(f32(expected.a.tensors[t.name].values));
        }
        const g = s.graph!;
        expect(g.opset).toBe(13);
        expect(g.nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'Flatten', 'Gemm']);
        expect(g.nodes[0].inputs).toEqual(['x', 'conv1.weight', 'conv1.bias']);
        expect(g.inputs).toEqual([{ name: 'x', dtype: 'f32', shape: ['N', 1, 12, 12] }]);
        expect(g.outputs).toEqual([{ name: 'logits', dtype: 'f32', shape: ['N', 10] }]);
      });
    });
  }

  it('reads initializers stored in typed fields (float_data, int64_data, f16 in int32_data)', async () => {
    await withSource(fixture('typed_fields.onnx'), async (s) => {
      const byName = new Map(s.tensors.map((t) => [t.name, t]));
      expect(byName.get('c')!.dtype).toBe('f32');
      expect(Array.from(toFloat32(await byName.get('c')!.read(), 'f32'))).toEqual(f32(expected.typed.c));
      expect(byName.get('h')!.dtype).toBe('f16');
      expect(Array.from(toFloat32(await byName.get('h')!.read(), 'f16'))).toEqual(f32(expected.typed.h));
      const shape = await byName.get('shape')!.read();
      expect(Array.from(new BigInt64Array(shape.slice().buffer), Number)).toEqual(expected.typed.shape);
    });
  });

  it('refuses bytes that do not parse as protobuf', async () => {
    const file = tmp.file('garbage.onnx');
    writeFileSync(file, Uint8Array.from([0x08, 0x07, 0x3a, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]));
    const err = await onnxReader.open(file).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect(err.message).toContain(file);
    expect(err.problem).toMatch(/not a valid ONNX protobuf/);
  });

  it('refuses a truncated model', async () => {
    const whole = readFileSync(fixture('tiny_cnn.onnx'));
    const file = tmp.file('truncated.onnx');
    writeFileSync(file, whole.subarray(0, whole.length - 700));
    const err = await onnxReader.open(file).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect(err.problem).toMatch(/runs past the end/);
  });

  it('refuses raw_data whose length does not match the shape', async () => {
    const model: ModelProto = {
      irVersion: 8, opsetImport: [{ domain: '', version: 17 }], metadataProps: [],
      graph: {
        name: 'g', node: [{ opType: 'Identity', input: ['w'], output: ['y'], attribute: [] }], input: [], valueInfo: [],
        output: [{ name: 'y', type: { tensorType: { elemType: TensorDataType.FLOAT, shape: [{ dimValue: 2 }, { dimValue: 3 }] } } }],
        initializer: [{ name: 'w', dataType: TensorDataType.FLOAT, dims: [2, 3], rawData: new Uint8Array(20) }],
      },
    };
    const file = tmp.file('short-raw.onnx');
    writeFileSync(file, encodeModel(model));
    await expect(onnxReader.open(file)).rejects.toThrow(/"w" has 20 bytes of raw data but shape \[2, 3\] of f32 needs 24/);
  });

  it('refuses external data that is truncated', async () => {
    const model = tmp.file('tiny_cnn_external.onnx');
    copyFileSync(fixture('tiny_cnn_external.onnx'), model);
    const data = readFileSync(fixture('tiny_cnn_external.onnx.data'));
    writeFileSync(`${model}.data`, data.subarray(0, data.length - 100));
    await expect(onnxReader.open(model)).rejects.toThrow(/needs bytes \d+–\d+ of tiny_cnn_external\.onnx\.data, which has only/);
  });

  it('refuses external data outside the model folder, and a missing external file', async () => {
    const model = (location: string): ModelProto => ({
      irVersion: 8, opsetImport: [{ domain: '', version: 17 }], metadataProps: [],
      graph: {
        name: 'g', node: [], input: [], output: [], valueInfo: [],
        initializer: [{ name: 'w', dataType: TensorDataType.FLOAT, dims: [4], dataLocation: 1, externalData: [{ key: 'location', value: location }] }],
      },
    });
    const outside = tmp.file('outside.onnx');
    writeFileSync(outside, encodeModel(model('../../etc/passwd')));
    await expect(onnxReader.open(outside)).rejects.toThrow(/outside the model's folder/);
    const missing = tmp.file('missing.onnx');
    writeFileSync(missing, encodeModel(model('missing.onnx.data')));
    await expect(onnxReader.open(missing)).rejects.toThrow(/missing\.onnx\.data, which does not exist/);
  });
});

describe('onnx writer', () => {
  it('replaces the weights, keeps the graph: onnxruntime gives model B\'s PyTorch outputs, onnx.checker passes', async () => {
    const out = tmp.file('a-graph-b-weights.onnx');
    await writeBIntoA(out, onnxWriter);
    expectClose(await runTinyCnn(out), expected.b.output);
    checkModel(out);
    await withSource(out, async (s) => {
      expect(s.metadata).toEqual({ made_by: 'make_format_fixtures.py' });
      expect(s.graph!.nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'Flatten', 'Gemm']);
    });
  });

  it('writes external data past the size limit; the result runs and passes the checker', async () => {
    const out = tmp.file('external-out.onnx');
    await writeBIntoA(out, createOnnxWriter({ externalDataAbove: 1000, externalMinBytes: 100 }));
    expect(existsSync(`${out}.data`)).toBe(true);
    expect(readFileSync(out).length).toBeLessThan(3000); // the big tensors live in the .data file
    expectClose(await runTinyCnn(out), expected.b.output);
    checkModel(out);
    await withSource(out, async (s) => {
      for (const t of s.tensors) expect(Array.from(toFloat32(await t.read(), t.dtype))).toEqual(f32(expected.b.tensors[t.name].values));
    });
  });

  it('keeps the original values of initializers it was not given (inline and external sources)', async () => {
    for (const graphFrom of [fixture('tiny_cnn.onnx'), fixture('tiny_cnn_external.onnx')]) {
      const out = tmp.file(`partial-${graphFrom.endsWith('external.onnx') ? 'ext' : 'inline'}.onnx`);
      await writeBIntoA(out, onnxWriter, graphFrom, ['fc.weight', 'fc.bias']);
      await withSource(out, async (s) => {
        for (const t of s.tensors) {
          const want = t.name.startsWith('fc.') ? expected.b : expected.a;
          expect(Array.from(toFloat32(await t.read(), t.dtype))).toEqual(f32(want.tensors[t.name].values));
        }
      });
      checkModel(out);
    }
  });

  it('replaces metadata_props when given metadata (a merge records its recipe there)', async () => {
    const out = tmp.file('with-metadata.onnx');
    await writeBIntoA(out, onnxWriter, fixture('tiny_cnn.onnx'), undefined, { recipe: 'method: average', parents: '2' });
    await withSource(out, async (s) => expect(s.metadata).toEqual({ recipe: 'method: average', parents: '2' }));
    checkModel(out);
  });

  it('abort() and an unfinished write leave nothing behind, external-data file included', async () => {
    const out = tmp.file('abandoned.onnx');
    const writer = createOnnxWriter({ externalDataAbove: 0 });
    const spec = [{ name: 'fc.bias', dtype: 'f32' as const, shape: [10] }, { name: 'fc.weight', dtype: 'f32' as const, shape: [10, 96] }];
    const first = await writer.begin(out, spec, { graphFrom: fixture('tiny_cnn.onnx') });
    await expect(first.writeTensor('fc.weight', new Uint8Array(3840))).rejects.toThrow(/expected tensor "fc\.bias" next/);
    await first.abort();
    const second = await writer.begin(out, spec, { graphFrom: fixture('tiny_cnn.onnx') });
    await second.writeTensor('fc.bias', new Uint8Array(40));
    await expect(second.finish()).rejects.toThrow(/never written/);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('abandoned'))).toEqual([]);
  });

  it('refuses a tensor the graph does not have, a dtype change, and a missing graph', async () => {
    const out = tmp.file('refused.onnx');
    await expect(onnxWriter.begin(out, [{ name: 'nope', dtype: 'f32', shape: [1] }], { graphFrom: fixture('tiny_cnn.onnx') }))
      .rejects.toThrow(/"nope" is not an initializer/);
    await expect(onnxWriter.begin(out, [{ name: 'fc.bias', dtype: 'f16', shape: [10] }], { graphFrom: fixture('tiny_cnn.onnx') }))
      .rejects.toThrow(/"fc\.bias" is f16 \[10\] but the graph .* expects f32 \[10\]/);
    await expect(onnxWriter.begin(out, [], {})).rejects.toBeInstanceOf(ModelFileError);
    expect(existsSync(out)).toBe(false);
  });
});
