import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { convertModel } from '../../../main/engine/convert';
import { openModel } from '../../../main/engine/formats/registry';
import { ModelFileError, type ModelSource } from '../../../main/engine/formats/types';
import { CancelledError, silentContext, type ProgressUpdate } from '../../../main/engine/job-context';
import { toFloat32 } from '../../../main/engine/tensor/dtypes';
import { expected, f32, fixture, tempDir } from './format-fixtures';

const tmp = tempDir();
afterAll(() => tmp.remove());

async function tensorsOf(file: string): Promise<{ source: ModelSource; bytes: Map<string, Uint8Array> }> {
  const source = await openModel(file);
  const bytes = new Map<string, Uint8Array>();
  for (const t of source.tensors) bytes.set(t.name, await t.read());
  await source.close();
  return { source, bytes };
}

describe('convertModel', () => {
  it('.pt → safetensors → .pt keeps every byte and the tie; torch.load(weights_only=True) agrees', async () => {
    for (const name of ['tiny_cnn_b.pt', 'tied.pt']) {
      const mid = tmp.file(`${name}.safetensors`);
      const back = tmp.file(`${name}.back.pt`);
      await convertModel(fixture(name), mid);
      await convertModel(mid, back);
      const [orig, viaSt, final] = await Promise.all([tensorsOf(fixture(name)), tensorsOf(mid), tensorsOf(back)]);
      expect(viaSt.source.tied).toEqual(orig.source.tied);
      expect(final.source.tied).toEqual(orig.source.tied);
      expect([...final.bytes.keys()]).toEqual([...orig.bytes.keys()]);
      for (const [k, v] of orig.bytes) {
        expect(Buffer.from(viaSt.bytes.get(k)!).equals(Buffer.from(v))).toBe(true);
        expect(Buffer.from(final.bytes.get(k)!).equals(Buffer.from(v))).toBe(true);
      }
      const py = `
import sys, torch
a = torch.load(sys.argv[1], weights_only=True); b = torch.load(sys.argv[2], weights_only=True)
assert list(a) == list(b) and all(torch.equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)
if 'embed.weight' in b: assert b['embed.weight'].data_ptr() == b['head.weight'].data_ptr()
print('ok')`;
      expect(execFileSync('/usr/bin/python3', ['-c', py, fixture(name), back], { encoding: 'utf8' }).trim()).toBe('ok');
    }
    const tiedValues = (await tensorsOf(fixture('tied.pt'))).bytes.get('head.weight')!;
    expect(Array.from(toFloat32(tiedValues, 'f32'))).toEqual(f32(expected.tied['head.weight'].values));
  });

  it('casts float tensors to f16 (as PyTorch rounds) and leaves integer and bool tensors alone', async () => {
    const out = tmp.file('mixed-f16.safetensors');
    await convertModel(fixture('mixed_dtypes.safetensors'), out, { dtype: 'f16' });
    const { source, bytes } = await tensorsOf(out);
    const dtypes = Object.fromEntries(source.tensors.map((t) => [t.name, t.dtype]));
    for (const name of ['f64', 'f32', 'f16', 'bf16', 'f8_e4m3', 'f8_e5m2', 'scalar', 'empty']) expect(dtypes[name]).toBe('f16');
    for (const name of ['i64', 'i32', 'i16', 'i8', 'u8', 'u16', 'u32', 'u64', 'bool']) expect(dtypes[name]).toBe(name);
    // f32 → f16 here must equal torch's .half() of the same values, which the fixture holds as "f16"
    expect(Array.from(toFloat32(bytes.get('f32')!, 'f16'))).toEqual(f32(expected.mixed.f16.values));
    expect(Array.from(toFloat32(bytes.get('i64')!, 'i64'))).toEqual(f32(expected.mixed.i64.values));
  });

  it('ONNX → safetensors carries the initializers; safetensors → ONNX is refused for want of a graph', async () => {
    const out = tmp.file('from-onnx.safetensors');
    await convertModel(fixture('tiny_cnn_external.onnx'), out);
    const { bytes } = await tensorsOf(out);
    for (const [name, want] of Object.entries(expected.a.tensors)) expect(Array.from(toFloat32(bytes.get(name)!, 'f32'))).toEqual(f32(want.values));
    const err = await convertModel(out, tmp.file('nope.onnx')).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect(err.problem).toMatch(/has no graph/);
    expect(existsSync(tmp.file('nope.onnx'))).toBe(false);
  });

  it('ONNX with external data → plain ONNX runs in onnxruntime with PyTorch\'s outputs', async () => {
    const out = tmp.file('inline.onnx');
    const updates: ProgressUpdate[] = [];
    await convertModel(fixture('tiny_cnn_external.onnx'), out, {}, { ...silentContext(), progress: (u) => updates.push(u) });
    expect(existsSync(`${out}.data`)).toBe(false);
    const session = await ort.InferenceSession.create(out);
    const { logits } = await session.run({ x: new ort.Tensor('float32', Float32Array.from(expected.input.values), expected.input.shape) });
    await session.release();
    Array.from(logits.data as Float32Array).forEach((v, i) => expect(Math.abs(v - expected.a.output[i])).toBeLessThan(1e-5));
    const last = updates[updates.length - 1];
    expect(last.done).toBe(last.total);
    expect(last.total).toBe(Object.values(expected.a.tensors).reduce((n, t) => n + 4 * t.values.length, 0));
  });

  it('refuses to write over its input, by the same path or through a link', async () => {
    const input = fixture('tiny_cnn_b.safetensors');
    await expect(convertModel(input, input)).rejects.toThrow(/is the input file/);
    const link = tmp.file('link.safetensors');
    symlinkSync(input, link);
    await expect(convertModel(input, link)).rejects.toThrow(/is the input file/);
  });

  it('stops when cancelled and leaves no output', async () => {
    const controller = new AbortController();
    controller.abort();
    const out = tmp.file('cancelled.safetensors');
    await expect(convertModel(fixture('tiny_cnn_b.safetensors'), out, {}, silentContext(controller.signal))).rejects.toBeInstanceOf(CancelledError);
    expect(existsSync(out)).toBe(false);
  });
});
