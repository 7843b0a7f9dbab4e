import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pytorchReader, pytorchWriter } from '../../../main/engine/formats/pytorch';
import type { ModelSource } from '../../../main/engine/formats/types';
import { EXPECTED, fixture, type ExpectedTensor } from './pytorch-helpers';

const PYTHON = '/usr/bin/python3';
// Loads each file with PyTorch's own weights-only loader and prints the raw bytes of every tensor.
const TORCH_DUMP = `
import base64, json, sys, torch
out = {}
for path in sys.argv[1:]:
    sd = torch.load(path, weights_only=True)
    def raw(t):
        t = t.detach().clone().contiguous()
        if t.dtype == torch.bfloat16: t = t.view(torch.int16)
        if t.dtype == torch.bool: t = t.to(torch.uint8)
        return base64.b64encode(t.numpy().tobytes()).decode()
    names = list(sd.keys())
    ties = {}
    for k, v in sd.items():
        ties.setdefault((v.data_ptr(), tuple(v.shape), v.dtype), []).append(k)
    out[path] = {'tensors': [{'name': k, 'shape': list(v.shape), 'dtype': str(v.dtype), 'bytes': raw(v)} for k, v in sd.items()],
                 'tied': [g for g in ties.values() if len(g) > 1]}
print(json.dumps(out))
`;
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

async function copyThroughWriter(src: ModelSource, out: string): Promise<void> {
  const session = await pytorchWriter.begin(out, src.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
    { tied: src.tied, metadata: { origin: src.path } });
  const aliases = new Set(src.tied.flatMap((g) => g.slice(1)));
  for (const t of src.tensors) if (!aliases.has(t.name)) await session.writeTensor(t.name, await t.read());
  await session.finish();
}

const ROUND_TRIP = ['smallcnn.pt', 'smallcnn_legacy.pt', 'smallcnn_bf16.pth', 'smallcnn_f16.pt', 'dtypes.pt', 'tied.pt', 'batchnorm.pt', 'views.pt', 'dataparallel.pth'];

describe('pytorch writer', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'ms-pt-write-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes files our reader and PyTorch (weights_only=True) both read back bit-exactly', async () => {
    const written: Record<string, string> = {};
    for (const name of ROUND_TRIP) {
      const src = await pytorchReader.open(fixture(name));
      const out = join(dir, name.replace(/\.\w+$/, '.out.pt'));
      await copyThroughWriter(src, out);
      await src.close();
      written[name] = out;

      const back = await pytorchReader.open(out);
      const exp = EXPECTED[name].tensors;
      expect(back.tensors.map((t) => t.name)).toEqual(exp.map((t) => t.name));
      for (const [i, t] of back.tensors.entries()) {
        expect(Buffer.from(await t.read()).toString('base64'), `${name} ${t.name}`).toBe(exp[i].bytes);
      }
      expect(back.tied).toEqual(EXPECTED[name].tied ?? []);
      expect(back.metadata.origin).toBe(fixture(name));
      expect(pytorchReader.sniff(readFileSync(out).subarray(0, 4096), out)).toBe(true);
      await back.close();
    }

    // Hundreds of names (memo indices past 255, so LONG_BINPUT/LONG_BINGET) with every other one tied.
    const many = join(dir, 'many.pt');
    const specs = Array.from({ length: 400 }, (_, i) => ({ name: `block.${i}.w`, dtype: 'f32' as const, shape: [3] }));
    const ties = Array.from({ length: 200 }, (_, i) => [`block.${2 * i}.w`, `block.${2 * i + 1}.w`]);
    const session = await pytorchWriter.begin(many, specs, { tied: ties });
    for (let i = 0; i < 400; i += 2) await session.writeTensor(`block.${i}.w`, new Uint8Array(new Float32Array([i, -i, i / 7]).buffer));
    await session.finish();
    const manyBack = await pytorchReader.open(many);
    expect(manyBack.tied).toEqual(ties);
    expect(Array.from(new Float32Array((await manyBack.tensors[399].read()).slice().buffer))).toEqual([398, -398, Math.fround(398 / 7)]);
    await manyBack.close();

    if (!hasTorch) {
      console.warn(`SKIPPED: ${PYTHON} with torch is not available, so the torch.load(weights_only=True) read-back was not checked`);
      return;
    }
    const run = spawnSync(PYTHON, ['-c', TORCH_DUMP, ...Object.values(written), many], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(run.status, run.stderr).toBe(0);
    const dumped = JSON.parse(run.stdout) as Record<string, { tensors: ExpectedTensor[]; tied: string[][] }>;
    for (const [name, out] of Object.entries(written)) {
      const got = dumped[out];
      const exp = EXPECTED[name];
      expect(got.tensors.map((t) => [t.name, t.shape, t.bytes]), name).toEqual(exp.tensors.map((t) => [t.name, t.shape, t.bytes]));
      expect(got.tied, name).toEqual(exp.tied ?? []);
    }
    const manyTorch = dumped[many];
    expect(manyTorch.tied).toEqual(ties);
    expect(Buffer.from(manyTorch.tensors[399].bytes, 'base64')).toEqual(Buffer.from(new Float32Array([398, -398, 398 / 7]).buffer));
  });

  it('leaves nothing behind when aborted, and refuses out-of-order or wrong-sized tensors', async () => {
    const out = join(dir, 'aborted.pt');
    const specs = [{ name: 'a', dtype: 'f32' as const, shape: [2] }, { name: 'b', dtype: 'i64' as const, shape: [] }];
    const s1 = await pytorchWriter.begin(out, specs);
    await s1.writeTensor('a', new Uint8Array(8));
    await s1.abort();
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('aborted'))).toEqual([]);

    const s2 = await pytorchWriter.begin(out, specs);
    await expect(s2.writeTensor('b', new Uint8Array(8))).rejects.toThrow(/expected tensor a next/);
    expect(readdirSync(dir).filter((f) => f.includes('aborted'))).toEqual([]);
    const s3 = await pytorchWriter.begin(out, specs);
    await expect(s3.writeTensor('a', new Uint8Array(7))).rejects.toThrow(/got 7 bytes, expected 8/);
    const s4 = await pytorchWriter.begin(out, specs);
    await s4.writeTensor('a', new Uint8Array(8));
    await expect(s4.finish()).rejects.toThrow(/before tensor b was written/);
    expect(existsSync(out)).toBe(false);
    await expect(pytorchWriter.begin(out, [{ name: 'x', dtype: 'u16', shape: [1] }])).rejects.toThrow(/cannot hold u16/);
  });

  it('writes to a temp file until finish(), and ties a name that comes before its group root', async () => {
    const out = join(dir, 'tied-order.pt');
    const w = new Float32Array([1.5, -2, 3.25, 4]);
    const specs = [
      { name: 'decoder.weight', dtype: 'f32' as const, shape: [2, 2] },
      { name: 'bias', dtype: 'f16' as const, shape: [1] },
      { name: 'encoder.weight', dtype: 'f32' as const, shape: [2, 2] },
    ];
    const session = await pytorchWriter.begin(out, specs, { tied: [['encoder.weight', 'decoder.weight']] });
    await session.writeTensor('bias', new Uint8Array([0x00, 0x3c])); // f16 1.0
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).some((f) => f.startsWith('.tied-order.pt.') && f.endsWith('.tmp'))).toBe(true);
    await session.writeTensor('encoder.weight', new Uint8Array(w.buffer));
    await session.finish();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const back = await pytorchReader.open(out);
    expect(back.tensors.map((t) => t.name)).toEqual(['decoder.weight', 'bias', 'encoder.weight']);
    expect(back.tied).toEqual([['decoder.weight', 'encoder.weight']]);
    expect(Array.from(new Float32Array((await back.tensors[0].read()).slice().buffer))).toEqual(Array.from(w));
    await back.close();
  });

  it('takes its final metadata at finish() and reports the SHA-256 of the file it wrote', async () => {
    const out = join(dir, 'late.pt');
    const specs = [{ name: 'a', dtype: 'f32' as const, shape: [2, 3] }, { name: 'b', dtype: 'f32' as const, shape: [3] }];
    expect(pytorchWriter.lateMetadata).toBe(true);
    const session = await pytorchWriter.begin(out, specs, { metadata: { parents: 'unknown yet' } });
    await session.writeTensor('a', new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer));
    await session.writeTensor('b', new Uint8Array(new Float32Array([7, 8, 9]).buffer));
    const written = await session.finish({ metadata: { parents: 'hashed' } });
    const bytes = readFileSync(out);
    expect(written).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
    const back = await pytorchReader.open(out);
    expect(back.metadata.parents).toBe('hashed');
    // readSpan: the bytes read() gives, found verbatim in the file at the offset it names
    for (const t of back.tensors) {
      const { data, fileOffset } = await t.readSpan!();
      expect(Buffer.from(data)).toEqual(Buffer.from(await t.read()));
      expect(Buffer.from(data)).toEqual(bytes.subarray(fileOffset!, fileOffset! + data.byteLength));
      // a buffer of the right size may be filled instead of a new one
      const into = new Uint8Array(t.byteLength);
      const again = await t.readSpan!(into);
      expect(again.data.buffer).toBe(into.buffer);
      expect(Buffer.from(into)).toEqual(Buffer.from(data));
    }
    await back.close();
  });

  it('readSpan of a strided view gives the contiguous bytes and no file offset', async () => {
    const src = await pytorchReader.open(fixture('views.pt'));
    let strided = 0;
    for (const t of src.tensors) {
      const { data, fileOffset } = await t.readSpan!();
      expect(Buffer.from(data), t.name).toEqual(Buffer.from(await t.read()));
      if (fileOffset === undefined) strided++;
    }
    expect(strided).toBeGreaterThan(0);
    await src.close();
  });
});
