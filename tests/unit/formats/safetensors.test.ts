import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { safetensorsReader, safetensorsWriter, TIED_METADATA_KEY } from '../../../main/engine/formats/safetensors';
import { safetensorsIndexReader } from '../../../main/engine/formats/safetensors-index';
import { openModel } from '../../../main/engine/formats/registry';
import { ModelFileError, type ModelSource } from '../../../main/engine/formats/types';
import { toFloat32 } from '../../../main/engine/tensor/dtypes';
import { expected, f32, fixture, safetensorsBytes, tempDir } from './format-fixtures';

const tmp = tempDir();
afterAll(() => tmp.remove());

async function withSource<T>(file: string, fn: (s: ModelSource) => Promise<T>): Promise<T> {
  const s = await safetensorsReader.open(file);
  try { return await fn(s); } finally { await s.close(); }
}

async function expectBroken(bytes: Uint8Array, problem: RegExp): Promise<ModelFileError> {
  const file = tmp.file(`broken-${Math.random().toString(36).slice(2)}.safetensors`);
  writeFileSync(file, bytes);
  const err = await safetensorsReader.open(file).then(() => null, (e) => e);
  expect(err).toBeInstanceOf(ModelFileError);
  expect(err.message).toContain(file);
  expect(err.problem).toMatch(problem);
  expect(err.hint.length).toBeGreaterThan(0);
  return err;
}

/** The real fixture's header and data, for breaking on purpose. */
function fixtureParts(): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; data: Uint8Array } {
  const bytes = readFileSync(fixture('tiny_cnn_b.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  delete header.__metadata__;
  return { header, data: new Uint8Array(bytes.subarray(8 + n)) };
}

describe('safetensors reader', () => {
  it('reads every tensor PyTorch saved, value for value, with __metadata__', async () => {
    await withSource(fixture('tiny_cnn_b.safetensors'), async (s) => {
      expect(s.format).toBe('safetensors');
      expect(s.metadata).toEqual({ source: 'make_format_fixtures.py', seed: '1' });
      expect(s.tensors.map((t) => t.name)).toEqual(Object.keys(expected.b.tensors));
      for (const t of s.tensors) {
        const want = expected.b.tensors[t.name];
        expect(t.dtype).toBe('f32');
        expect(t.shape).toEqual(want.shape);
        expect(Array.from(toFloat32(await t.read(), t.dtype))).toEqual(f32(want.values));
      }
    });
  });

  it('reads every dtype (f64 … bool, u16/u32/u64, f8 kinds), scalars and empty tensors', async () => {
    await withSource(fixture('mixed_dtypes.safetensors'), async (s) => {
      const byName = new Map(s.tensors.map((t) => [t.name, t]));
      expect([...byName.keys()].sort()).toEqual(Object.keys(expected.mixed).sort());
      for (const [name, want] of Object.entries(expected.mixed)) {
        const t = byName.get(name)!;
        expect(t.shape).toEqual(want.shape);
        // the fixture names each tensor after its dtype, except the two shape cases
        if (!['scalar', 'empty'].includes(name)) expect(t.dtype).toBe(name);
        const values = Array.from(toFloat32(await t.read(), t.dtype));
        expect(values).toEqual(f32(want.values));
      }
      expect(byName.get('f8_e4m3')!.dtype).toBe('f8_e4m3');
    });
  });

  it('refuses a file shorter than the 8-byte length', async () => {
    await expectBroken(new Uint8Array([1, 2, 3]), /only 3 bytes/);
  });

  it('refuses a truncated file (data cut short)', async () => {
    const whole = readFileSync(fixture('tiny_cnn_b.safetensors'));
    await expectBroken(new Uint8Array(whole.subarray(0, whole.length - 100)), /need \d+ bytes of data but the file holds only/);
  });

  it('refuses a header length that runs past the end of the file', async () => {
    const whole = new Uint8Array(readFileSync(fixture('tiny_cnn_b.safetensors')));
    new DataView(whole.buffer).setBigUint64(0, BigInt(whole.length), true);
    await expectBroken(whole, /header but the file is only/);
  });

  it('refuses a header length over the 100 MB cap without allocating it', async () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 40n, true);
    await expectBroken(bytes, /over the \d+-byte limit/);
  });

  it('refuses a header that is not JSON', async () => {
    const { data } = fixtureParts();
    await expectBroken(safetensorsBytes(null, data, '{"conv1.weight": {"dtype": "F32", '), /not valid JSON/);
    await expectBroken(safetensorsBytes(null, data, 'PK\u0003\u0004 not json at all'), /not JSON/);
  });

  it('refuses overlapping offsets, naming both tensors', async () => {
    const { header, data } = fixtureParts();
    const second = Object.values(header).sort((a, b) => a.data_offsets[0] - b.data_offsets[0])[1];
    // move the second tensor 4 bytes back so it overlaps the first
    second.data_offsets = [second.data_offsets[0] - 4, second.data_offsets[1] - 4];
    const err = await expectBroken(safetensorsBytes(header, data), /overlaps/);
    expect(err.problem).toMatch(/"conv1\.\w+"/);
  });

  it('refuses a gap between tensors', async () => {
    const { header, data } = fixtureParts();
    const last = Object.values(header).sort((a, b) => b.data_offsets[0] - a.data_offsets[0])[0];
    last.data_offsets = [last.data_offsets[0] + 8, last.data_offsets[1] + 8];
    const padded = new Uint8Array(data.length + 8);
    padded.set(data);
    await expectBroken(safetensorsBytes(header, padded), /gap of 8 bytes/);
  });

  it('refuses a shape that does not match the byte length', async () => {
    const { header, data } = fixtureParts();
    header['fc.weight'].shape = [10, 95];
    await expectBroken(safetensorsBytes(header, data), /"fc\.weight" has shape \[10, 95\].*span 3840 bytes/);
  });

  it('refuses bytes left over after the last tensor', async () => {
    const { header, data } = fixtureParts();
    const longer = new Uint8Array(data.length + 3);
    longer.set(data);
    await expectBroken(safetensorsBytes(header, longer), /3 bytes after the last tensor/);
  });

  it('refuses an unknown dtype, listing the ones it reads', async () => {
    const { header, data } = fixtureParts();
    header['fc.bias'].dtype = 'C64';
    const err = await expectBroken(safetensorsBytes(header, data), /dtype "C64"/);
    expect(err.hint).toContain('BF16');
  });
});

describe('safetensors writer', () => {
  it('round-trips a model with metadata and a tied group; Python reads what we wrote', async () => {
    const out = tmp.file('roundtrip.safetensors');
    await withSource(fixture('tiny_cnn_b.safetensors'), async (src) => {
      // tie conv1.bias to a new last name 'head.bias' (in the specs; only the primary gets data)
      const specs = [...src.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })), { name: 'head.bias', dtype: 'f32' as const, shape: [4] }];
      const session = await safetensorsWriter.begin(out, specs, { metadata: { note: 'hi' }, tied: [['conv1.bias', 'head.bias']] });
      for (const t of src.tensors) await session.writeTensor(t.name, await t.read());
      await session.finish();
    });
    await withSource(out, async (back) => {
      expect(back.metadata).toEqual({ note: 'hi' });
      expect(back.tied).toEqual([['conv1.bias', 'head.bias']]);
      expect(back.tensors.map((t) => t.name)).toEqual([...Object.keys(expected.b.tensors), 'head.bias']); // the specs' order
      const byName = new Map(back.tensors.map((t) => [t.name, t]));
      for (const [name, want] of Object.entries(expected.b.tensors)) {
        expect(Array.from(toFloat32(await byName.get(name)!.read(), 'f32'))).toEqual(f32(want.values));
      }
      expect(Array.from(toFloat32(await byName.get('head.bias')!.read(), 'f32'))).toEqual(f32(expected.b.tensors['conv1.bias'].values));
    });
    // An independent reader (Python, struct + json + torch) agrees with ours on every tensor.
    const py = `
import json, struct, sys, torch
def load(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); meta = h.pop('__metadata__', {})
    ends = sorted(v['data_offsets'] for v in h.values())
    assert ends[0][0] == 0 and all(a[1] == c[0] for a, c in zip(ends, ends[1:])) and ends[-1][1] == len(b) - 8 - n
    return meta, {k: torch.frombuffer(bytearray(b[8+n+v['data_offsets'][0]:8+n+v['data_offsets'][1]]), dtype=torch.float32).reshape(v['shape']) for k, v in h.items()}
meta, ours = load(sys.argv[1]); _, ref = load(sys.argv[2])
assert all(torch.equal(ours[k], ref[k]) for k in ref), 'values differ'
assert torch.equal(ours['head.bias'], ref['conv1.bias'])
print(json.dumps(meta))`;
    const meta = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, out, fixture('tiny_cnn_b.safetensors')], { encoding: 'utf8' }));
    expect(meta.note).toBe('hi');
    expect(JSON.parse(meta[TIED_METADATA_KEY])).toEqual([['conv1.bias', 'head.bias']]);
  });

  it('abort() leaves neither the target nor a temp file', async () => {
    const out = tmp.file('aborted.safetensors');
    const session = await safetensorsWriter.begin(out, [{ name: 'w', dtype: 'f32', shape: [2] }]);
    await session.abort();
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('aborted'))).toEqual([]);
  });

  it('refuses data out of order or of the wrong size, and an unfinished write leaves nothing', async () => {
    const out = tmp.file('partial.safetensors');
    const session = await safetensorsWriter.begin(out, [{ name: 'a', dtype: 'f32', shape: [2] }, { name: 'b', dtype: 'i64', shape: [1] }]);
    await expect(session.writeTensor('b', new Uint8Array(8))).rejects.toThrow(/expected tensor "a"/);
    await expect(session.writeTensor('a', new Uint8Array(4))).rejects.toThrow(/4 bytes, expected 8/);
    await session.writeTensor('a', new Uint8Array(8));
    await expect(session.finish()).rejects.toThrow(/never written/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('takes its final metadata at finish(): the header is rewritten in place, its length and the data unchanged', async () => {
    const le = (v: number[]) => new Uint8Array(new Float32Array(v).buffer);
    const out = tmp.file('late.safetensors');
    const specs = [{ name: 'a', dtype: 'f32' as const, shape: [2] }, { name: 'b', dtype: 'f32' as const, shape: [1] }];
    expect(safetensorsWriter.lateMetadata).toBe(true);
    const session = await safetensorsWriter.begin(out, specs, { metadata: { hash: '0'.repeat(64), note: 'first' } });
    await session.writeTensor('a', le([1, 2]));
    await session.writeTensor('b', le([3]));
    await session.finish({ metadata: { hash: 'ab'.repeat(32), note: 'x' } }); // shorter: padded with spaces
    const src = await safetensorsReader.open(out);
    expect(src.metadata).toEqual({ hash: 'ab'.repeat(32), note: 'x' });
    expect(Array.from(toFloat32(await src.tensors[0].read(), 'f32'))).toEqual([1, 2]);
    expect(Array.from(toFloat32(await src.tensors[1].read(), 'f32'))).toEqual([3]);
    // readSpan gives the same bytes and where they lie in the file
    const bytes = readFileSync(out);
    const { data, fileOffset } = await src.tensors[1].readSpan!();
    expect(Buffer.from(data)).toEqual(bytes.subarray(fileOffset!, fileOffset! + 4));
    await src.close();
    const headerLen = Number(bytes.readBigUInt64LE(0));
    expect(headerLen % 8).toBe(0);
    expect(bytes.toString('utf8', 8, 8 + headerLen)).toMatch(/} +$/);

    // Final metadata longer than the room reserved at begin(): refused, nothing left behind.
    const tooLong = tmp.file('late-long.safetensors');
    const s2 = await safetensorsWriter.begin(tooLong, specs, { metadata: { hash: '' } });
    await s2.writeTensor('a', le([1, 2]));
    await s2.writeTensor('b', le([3]));
    await expect(s2.finish({ metadata: { hash: 'x'.repeat(100) } })).rejects.toThrow(/more header than was reserved/);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('late-long'))).toEqual([]);
  });
});

describe('sharded safetensors (index.json)', () => {
  async function writeShard(file: string, src: ModelSource, names: string[]): Promise<void> {
    const picked = src.tensors.filter((t) => names.includes(t.name));
    const session = await safetensorsWriter.begin(file, picked.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })));
    for (const t of picked) await session.writeTensor(t.name, await t.read());
    await session.finish();
  }

  it('opens a two-shard checkpoint as one model', async () => {
    const names = Object.keys(expected.b.tensors);
    const weightMap: Record<string, string> = {};
    await withSource(fixture('tiny_cnn_b.safetensors'), async (src) => {
      await writeShard(tmp.file('model-00001-of-00002.safetensors'), src, names.slice(0, 3));
      await writeShard(tmp.file('model-00002-of-00002.safetensors'), src, names.slice(3));
    });
    names.forEach((n, i) => { weightMap[n] = i < 3 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors'; });
    const index = tmp.file('model.safetensors.index.json');
    writeFileSync(index, JSON.stringify({ metadata: { total_size: 4928 }, weight_map: weightMap }));
    const s = await openModel(index); // the registry recognises the index by its content
    try {
      expect(s.format).toBe('safetensors');
      expect(s.metadata).toEqual({ total_size: '4928' });
      expect(s.tensors.map((t) => t.name)).toEqual(names);
      for (const t of s.tensors) expect(Array.from(toFloat32(await t.read(), t.dtype))).toEqual(f32(expected.b.tensors[t.name].values));
    } finally {
      await s.close();
    }
  });

  it('refuses a missing shard and a shard path outside the folder', async () => {
    const missing = tmp.file('missing.safetensors.index.json');
    writeFileSync(missing, JSON.stringify({ weight_map: { w: 'nowhere.safetensors' } }));
    await expect(safetensorsIndexReader.open(missing)).rejects.toThrow(/nowhere\.safetensors", which does not exist/);
    const escape = tmp.file('escape.safetensors.index.json');
    writeFileSync(escape, JSON.stringify({ weight_map: { w: '../etc/passwd' } }));
    await expect(safetensorsIndexReader.open(escape)).rejects.toBeInstanceOf(ModelFileError);
  });
});
