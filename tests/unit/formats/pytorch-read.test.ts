import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { pytorchReader } from '../../../main/engine/formats/pytorch';
import { toFloat32 } from '../../../main/engine/tensor/dtypes';
import { EXPECTED, fixture } from './pytorch-helpers';

const READABLE = Object.keys(EXPECTED).filter((k) => !k.startsWith('__'));

describe('pytorch reader: files written by real PyTorch', () => {
  it.each(READABLE)('%s: every tensor matches what PyTorch saved, byte for byte', async (name) => {
    const exp = EXPECTED[name];
    const src = await pytorchReader.open(fixture(name));
    try {
      expect(src.format).toBe('pytorch');
      expect(src.tensors.map((t) => t.name)).toEqual(exp.tensors.map((t) => t.name));
      for (const [i, t] of src.tensors.entries()) {
        const e = exp.tensors[i];
        expect({ name: t.name, dtype: t.dtype, shape: t.shape }).toEqual({ name: e.name, dtype: e.dtype, shape: e.shape });
        const bytes = await t.read();
        expect(bytes.byteLength).toBe(t.byteLength);
        expect(Buffer.from(bytes).equals(Buffer.from(e.bytes, 'base64'))).toBe(true);
      }
    } finally {
      await src.close();
    }
  });

  it('sniffs torch zips and legacy files by content, not by name', () => {
    const head = (n: string) => readFileSync(fixture(n)).subarray(0, 4096);
    expect(pytorchReader.sniff(head('smallcnn.pt'), 'x.weights')).toBe(true);
    expect(pytorchReader.sniff(head('smallcnn_legacy.pt'), 'x.weights')).toBe(true);
    expect(pytorchReader.sniff(head('renamed_prefix.pt'), 'x')).toBe(true);
    expect(pytorchReader.sniff(new TextEncoder().encode('{"not": "torch"}'), 'model.pt')).toBe(false);
    expect(pytorchReader.sniff(head('expected.json'), 'expected.pt')).toBe(false);
    // a safetensors file named .bin: 8-byte header length, then JSON — whatever the length's bytes are
    const st = Buffer.concat([Buffer.from([0x80, 0x02, 0x7d, 0, 0, 0, 0, 0]), Buffer.from('{"w":{}}')]);
    expect(pytorchReader.sniff(st, 'model.bin')).toBe(false);
  });

  it('reads the SmallCNN state dict in both layouts to the same floats', async () => {
    const zip = await pytorchReader.open(fixture('smallcnn.pt'));
    const legacy = await pytorchReader.open(fixture('smallcnn_legacy.pt'));
    expect(zip.metadata['pytorch.layout']).toBe('zip');
    expect(legacy.metadata['pytorch.layout']).toBe('legacy');
    expect(zip.tensors.map((t) => [t.name, t.shape])).toEqual([
      ['features.0.weight', [4, 1, 3, 3]], ['features.0.bias', [4]], ['features.3.weight', [8, 4, 3, 3]],
      ['features.3.bias', [8]], ['classifier.1.weight', [16, 200]], ['classifier.1.bias', [16]],
      ['classifier.3.weight', [10, 16]], ['classifier.3.bias', [10]],
    ]);
    for (let i = 0; i < zip.tensors.length; i++) {
      expect(toFloat32(await legacy.tensors[i].read(), 'f32')).toEqual(toFloat32(await zip.tensors[i].read(), 'f32'));
    }
    expect(zip.tied).toEqual([]);
    await zip.close();
    await legacy.close();
  });

  it('unwraps a training checkpoint and says so, keeping scalar entries as metadata', async () => {
    const src = await pytorchReader.open(fixture('checkpoint.ckpt'));
    expect(src.tensors.map((t) => t.name)).toEqual(EXPECTED['checkpoint.ckpt'].tensors.map((t) => t.name));
    expect(src.notes.join('\n')).toMatch(/unwrapped a training checkpoint: weights taken from 'model_state_dict'/);
    expect(src.notes.join('\n')).toMatch(/optimizer_state_dict/);
    expect(src.metadata.epoch).toBe('3');
    await src.close();
  });

  it("strips DataParallel's module. prefix and says so", async () => {
    const src = await pytorchReader.open(fixture('dataparallel.pth'));
    expect(src.tensors.every((t) => !t.name.startsWith('module.'))).toBe(true);
    expect(src.notes.join('\n')).toMatch(/module\./);
    await src.close();
  });

  it.each(['tied.pt', 'tied_legacy.pt'])('%s: one parameter under two names is a tied group', async (name) => {
    const src = await pytorchReader.open(fixture(name));
    expect(src.tied).toEqual(EXPECTED[name].tied);
    await src.close();
  });

  it('keeps BatchNorm num_batches_tracked as int64', async () => {
    const src = await pytorchReader.open(fixture('batchnorm.pt'));
    const nbt = src.tensors.find((t) => t.name === 'bn.num_batches_tracked');
    expect(nbt?.dtype).toBe('i64');
    expect(nbt?.shape).toEqual([]);
    expect(new BigInt64Array((await nbt!.read()).slice().buffer)[0]).toBe(3n);
    await src.close();
  });

  it.each(['views.pt', 'views_legacy.pt'])('%s: slices and transposes of one storage are separate tensors, not ties', async (name) => {
    const src = await pytorchReader.open(fixture(name));
    expect(src.tied).toEqual([]);
    expect(src.notes.join('\n')).toMatch(/different views/);
    const t = src.tensors.find((x) => x.name === 'transposed')!;
    const base = src.tensors.find((x) => x.name === 'base')!;
    const tv = toFloat32(await t.read(), 'f32');
    const bv = toFloat32(await base.read(), 'f32');
    // transposed[i][j] == base[j][i] on the 6x8 base
    for (let i = 0; i < 8; i++) for (let j = 0; j < 6; j++) expect(tv[i * 6 + j]).toBe(bv[j * 8 + i]);
    await src.close();
  });

  it('loads NaN and Inf values as they are', async () => {
    const src = await pytorchReader.open(fixture('dtypes.pt'));
    const special = toFloat32(await src.tensors.find((t) => t.name === 'special')!.read(), 'f32');
    expect(Number.isNaN(special[0])).toBe(true);
    expect(special[1]).toBe(Infinity);
    expect(special[2]).toBe(-Infinity);
    expect(Object.is(special[3], -0)).toBe(true);
    await src.close();
  });
});
