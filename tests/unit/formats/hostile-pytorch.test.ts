// Hostile torch.save files (issue 21, items 3, 4, 5 and 8), each made here: pickles whose memo reuses one
// object until the tree they spell out is astronomically large, deflated records viewed by hundreds of
// tensors, tiny files whose tensors expand to gigabytes, and tie metadata that names a tensor twice. Each
// ends in a clear error or a correct result; a test's own timeout is the ceiling where a hang was the bug.
// Every output is checked for the bytes of a file outside the test's folder (none may appear).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { open as openHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPytorch, beginPytorchWrite } from '../../../main/engine/formats/pytorch';
import { unpickle } from '../../../main/engine/formats/pytorch/unpickle';
import { PyDict, PyTuple } from '../../../main/engine/formats/pytorch/python-values';
import { ZipArchive } from '../../../main/engine/formats/pytorch/zip';
import { InflatedRecords } from '../../../main/engine/formats/pytorch/inflated-records';
import {
  EXPANSION_FLOOR_BYTES, expansionProblem, MAX_EXPANSION_ENV, measureExpansion,
} from '../../../main/engine/formats/pytorch/expansion';
import { MAX_TENSORS } from '../../../main/engine/formats/pytorch/state-dict';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import { ModelFileError, type ModelSource } from '../../../main/engine/formats/types';
import { convertModel } from '../../../main/engine/convert';
import { inspectModel } from '../../../main/engine/inspect';
import { TIED_METADATA_KEY } from '../../../main/engine/formats/safetensors';
import { f32Bytes, orderedDictPickle, pushTensor, ptFile, zipOf, type PickleWriter } from './hostile-pytorch-files';

let base: string;
let dir: string;
let canary: Buffer;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'ms-hostile-pt-'));
  dir = join(base, 'allowed');
  mkdirSync(dir);
  mkdirSync(join(base, 'outside'));
  canary = randomBytes(48);
  writeFileSync(join(base, 'outside', 'secret.bin'), canary);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** No file the test folder holds carries the outside file's bytes. */
function expectNoOutsideBytes(): void {
  for (const name of readdirSync(dir)) expect(readFileSync(join(dir, name)).includes(canary), name).toBe(false);
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

async function refusal(path: string): Promise<ModelFileError> {
  const err = await openPytorch(path).then(async (s) => { await s.close(); return null; }, (e: unknown) => e);
  expect(err).toBeInstanceOf(ModelFileError);
  return err as ModelFileError;
}

async function withSource<T>(path: string, use: (s: ModelSource) => Promise<T>): Promise<T> {
  const s = await openModel(path);
  try {
    return await use(s);
  } finally {
    await s.close();
  }
}

async function floats(s: ModelSource, name: string): Promise<number[]> {
  const t = s.tensors.find((x) => x.name === name);
  expect(t, name).toBeDefined();
  const b = await t!.read();
  return Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
}

const FOUR = { key: '0', numel: 4, shape: [4], stride: [1] };
const fourValues = () => ({ key: '0', data: f32Bytes([1, 2, 3, 4]) });

/** Lists L0 = [tensor], L(i+1) = [Li, Li], all shared through the memo; every level in one tuple. */
function listDag(w: PickleWriter, levels: number): void {
  w.op('(');
  w.op(']');
  pushTensor(w, FOUR);
  w.op('a');
  let m = w.put();
  for (let i = 0; i < levels; i++) {
    w.op(']').op('(').get(m).get(m).op('e');
    m = w.put();
  }
  w.op('t');
}

describe('item 3: pickles that reuse shared objects (DAGs), deep nesting, too many tensors', () => {
  it('a < 1 KB pickle whose lists spell out 2^60 paths to one tensor opens, each shared list walked once', async () => {
    const w = orderedDictPickle();
    w.str('w');
    listDag(w, 60);
    w.op('s');
    const pickle = w.finish();
    expect(pickle.length).toBeLessThan(1024);
    const path = write('dag-list.pt', ptFile(pickle, [fourValues()]));
    await withSource(path, async (s) => {
      expect(s.tensors.map((t) => t.name)).toEqual(['w.0.0']);
      expect(s.notes.join('\n')).toMatch(/\d+ reference\(s\) to a dict or list already loaded under another name were skipped/);
      expect(await floats(s, 'w.0.0')).toEqual([1, 2, 3, 4]);
    });
    const out = join(dir, 'dag-list.safetensors');
    await convertModel(path, out);
    await withSource(out, async (s) => expect(await floats(s, 'w.0.0')).toEqual([1, 2, 3, 4]));
    expectNoOutsideBytes();
  }, 30_000);

  it('a dict key that nests one shared tuple in itself 60 times over is keyed once per tuple, with Python equality', async () => {
    const w = orderedDictPickle();
    w.str('meta').op('}');
    // the key: a tuple of every level, T0 = 'x' and T(i+1) = (Ti, Ti), each level shared through the memo
    w.op('(').str('x');
    let m = w.put();
    for (let i = 0; i < 60; i++) {
      w.get(m).get(m).op('\x86'); // TUPLE2
      m = w.put();
    }
    w.op('t');
    const key = w.put();
    w.int(1).op('s');
    w.get(key).int(2).op('s'); // the same key again: replaces the value
    w.op('s');
    w.str('w');
    pushTensor(w, FOUR).op('s');
    const pickle = w.finish();
    expect(pickle.length).toBeLessThan(1024);
    const root = unpickle(pickle, 0, { persistentLoad: () => ({ kind: 'storage', key: '0', dtype: 'f32', numel: 4, elementOffset: 0, location: 'cpu' }) }).value as PyDict;
    const meta = root.get('meta') as PyDict;
    expect(meta.size).toBe(1);
    expect(meta.entries[0].value).toBe(2);
    const path = write('dag-key.pt', ptFile(pickle, [fourValues()]));
    await withSource(path, async (s) => expect(s.tensors.map((t) => t.name)).toEqual(['w']));
  }, 30_000);

  it('dict keys keep Python equality: 1 == True == 1.0, 2**60 == 2.0**60, tuples and long strings by content', () => {
    const d = new PyDict();
    const long = (c: string) => c.repeat(5000);
    d.set(new PyTuple([1, long('a')]), 'first');
    d.set(new PyTuple([true, long('a')]), 'second'); // an equal tuple (and string) built anew
    d.set(1, 'one');
    d.set(true, 'true');
    d.set(1.0, 'float');
    d.set(2n ** 60n, 'big');
    d.set(2 ** 60, 'bigfloat');
    d.set(new PyTuple([1, long('b')]), 'other');
    d.set('1', 'text');
    expect(d.size).toBe(5);
    expect(d.get(new PyTuple([1, long('a')]))).toBe('second');
    expect(d.get(1)).toBe('float');
    expect(d.get(2n ** 60n)).toBe('bigfloat');
    expect(d.get(new PyTuple([1, long('b')]))).toBe('other');
    expect(d.get('1')).toBe('text');
  });

  it('a checkpoint whose other entries hold a tensor-free DAG is unwrapped without walking it 2^60 times', async () => {
    const w = orderedDictPickle();
    w.str('optimizer').op('}').str('state');
    w.op('(').op(']');
    let m = w.put();
    for (let i = 0; i < 60; i++) {
      w.op(']').op('(').get(m).get(m).op('e');
      m = w.put();
    }
    w.op('t').op('s').op('s');
    w.str('state_dict').op('}').str('w');
    pushTensor(w, FOUR).op('s').op('s');
    const path = write('dag-wrap.pt', ptFile(w.finish(), [fourValues()]));
    await withSource(path, async (s) => {
      expect(s.tensors.map((t) => t.name)).toEqual(['w']);
      expect(s.notes.join('\n')).toMatch(/weights taken from 'state_dict'/);
    });
  }, 30_000);

  it('caps nesting: tuples 150 deep and tensors 41 dicts deep are refused; lists 100 000 deep holding no tensor are left alone', async () => {
    const tuples = orderedDictPickle();
    tuples.str('deep').str('x');
    for (let i = 0; i < 150; i++) tuples.op('\x85'); // TUPLE1
    tuples.op('s');
    expect((await refusal(write('deep-tuples.pt', ptFile(tuples.finish())))).message).toMatch(/nests tuples deeper than 100 levels/);

    const dicts = orderedDictPickle();
    dicts.str('deep');
    for (let i = 0; i < 40; i++) dicts.op('}').str('k');
    pushTensor(dicts, FOUR);
    for (let i = 0; i < 41; i++) dicts.op('s');
    expect((await refusal(write('deep-dicts.pt', ptFile(dicts.finish(), [fourValues()])))).message)
      .toMatch(/tensors are nested more than 32 containers deep/);

    const lists = orderedDictPickle();
    lists.str('deep');
    for (let i = 0; i < 100_000; i++) lists.op(']');
    for (let i = 1; i < 100_000; i++) lists.op('a');
    lists.op('s').str('w');
    pushTensor(lists, FOUR).op('s');
    await withSource(write('deep-lists.pt', ptFile(lists.finish(), [fourValues()])), async (s) => {
      expect(s.tensors.map((t) => t.name)).toEqual(['w']);
    });
  }, 30_000);

  it('refuses a tensor of 65 dimensions and a file naming more than the tensor cap', async () => {
    const rank = orderedDictPickle();
    rank.str('w');
    pushTensor(rank, { key: '0', numel: 4, shape: new Array(65).fill(1), stride: new Array(65).fill(1) }).op('s');
    expect((await refusal(write('rank.pt', ptFile(rank.finish(), [fourValues()])))).message).toMatch(/has 65 dimensions \(at most 64/);

    // One tensor, memoised, listed MAX_TENSORS + 1 times: 2 bytes a name in the pickle.
    const many = orderedDictPickle();
    many.str('first');
    pushTensor(many, FOUR);
    const t = many.put();
    many.op('s').str('many').op(']');
    for (let done = 0; done < MAX_TENSORS; done += 1000) {
      many.op('(');
      for (let i = 0; i < 1000; i++) many.get(t);
      many.op('e');
    }
    many.op('s');
    expect((await refusal(write('many.pt', ptFile(many.finish(), [fourValues()])))).message).toMatch(new RegExp(`holds more than ${MAX_TENSORS} tensors`));
  }, 30_000);
});

/** f32 values every 64th element pseudo-random, zeros between: deflate shrinks them about 50×. */
function sparseValues(count: number): Float32Array {
  const v = new Float32Array(count);
  let s = 7;
  for (let i = 0; i < count; i += 64) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    v[i] = s / 2 ** 32;
  }
  return v;
}

describe('item 4: deflated records viewed by many tensors', () => {
  it('400 views of one 32 MiB deflated record convert with every value exact (the record inflated once)', async () => {
    const numel = (32 << 20) / 4;
    const data = sparseValues(numel);
    const w = orderedDictPickle();
    const VIEWS = 400;
    for (let v = 0; v < VIEWS; v++) {
      w.str(`v${v}`);
      // from the end backwards: each view needs almost all of the record inflated
      pushTensor(w, { key: '0', numel, shape: [16, 16], stride: [16, 1], offset: numel - 256 * (v + 1) }).op('s');
    }
    const file = ptFile(w.finish(), [{ key: '0', data: new Uint8Array(data.buffer), deflate: true }]);
    expect(file.length).toBeLessThan(1 << 20);
    const path = write('deflated-views.pt', file);
    const out = join(dir, 'deflated-views.safetensors');
    await convertModel(path, out);
    await withSource(out, async (s) => {
      expect(s.tensors).toHaveLength(VIEWS);
      for (let v = 0; v < VIEWS; v++) {
        const start = numel - 256 * (v + 1);
        expect(await floats(s, `v${v}`), `v${v}`).toEqual(Array.from(data.subarray(start, start + 256)));
      }
    });
    expectNoOutsideBytes();
  }, 60_000);

  it('a record past the kept budget is inflated per read only as far as the read needs, exactly', async () => {
    const values = sparseValues(1 << 16);
    const path = write('budget.zip', zipOf([{ name: 'r', data: new Uint8Array(values.buffer), deflate: true }]));
    const fh = await openHandle(path, 'r');
    try {
      const zip = await ZipArchive.open(fh, (await fh.stat()).size, { maxInflateBytes: 1 << 20, maxRatio: 200 });
      const records = new InflatedRecords(zip, 0);
      const plan = records.plan(zip.entries[0], values.byteLength);
      expect(plan.kept).toBe(false);
      for (const [first, count] of [[0, 16], [1000, 64], [(1 << 16) - 8, 8]]) {
        const got = await records.read(zip.entries[0], first * 4, count * 4);
        expect(Array.from(new Float32Array(new Uint8Array(got).buffer)), `at ${first}`).toEqual(Array.from(values.subarray(first, first + count)));
      }
    } finally {
      await fh.close();
    }
  });

  it('a damaged deflated record is reported, streamed, by verify and refused on read', async () => {
    const values = sparseValues(1 << 16);
    const w = orderedDictPickle();
    w.str('w');
    pushTensor(w, { key: '0', numel: values.length, shape: [values.length], stride: [1] }).op('s');
    const file = ptFile(w.finish(), [{ key: '0', data: new Uint8Array(values.buffer), deflate: true }]);
    const at = file.indexOf(Buffer.from('archive/data/0')) + 'archive/data/0'.length + 200; // inside its deflate stream
    file[at] ^= 0x55;
    const path = write('damaged-deflate.pt', file);
    await withSource(path, async (s) => {
      const problems = await s.verify!({ data: true });
      expect(problems).toEqual([expect.stringMatching(/entry archive\/data\/0 (does not inflate|fails its CRC-32 check|inflates to)/)]);
      await expect(s.tensors[0].read()).rejects.toThrow(ModelFileError);
    });
  });
});

describe('item 5: output amplification', () => {
  const quarterGiB = (256 << 20) / 4 - 1; // elements of a view just under the per-view limit

  function stride0File(views: number, numel: number, shape?: number[]): Buffer {
    const w = orderedDictPickle();
    for (let v = 0; v < views; v++) {
      w.str(`b${v}`);
      const dims = shape ?? [numel];
      pushTensor(w, { key: '0', numel: 1, shape: dims, stride: dims.map(() => 0) }).op('s');
    }
    return ptFile(w.finish(), [{ key: '0', data: f32Bytes([7]) }]);
  }

  it('a ~1 KB file with four stride-0 views of 256 MiB each is refused on open, naming the limit and its override', async () => {
    const file = stride0File(4, quarterGiB);
    expect(file.length).toBeLessThan(1024);
    const err = await refusal(write('stride0.pt', file));
    expect(err.problem).toMatch(/its tensors would expand to 1073741808 bytes, over the limit of 67108864 bytes \(200× its \d+ bytes/);
    expect(err.problem).toMatch(/the largest, b0, is 268435452 bytes viewing a storage record of 4/);
    expect(err.hint).toContain(`${MAX_EXPANSION_ENV}=<ratio>`);
  });

  it('a small stride-0 view (4×4) still converts, to .safetensors and .pt, every value the one stored', async () => {
    const path = write('stride0-small.pt', stride0File(1, 16, [4, 4]));
    for (const ext of ['safetensors', 'pt']) {
      const out = join(dir, `stride0-small-out.${ext}`);
      await convertModel(path, out);
      await withSource(out, async (s) => expect(await floats(s, 'b0')).toEqual(new Array(16).fill(7)));
    }
    expectNoOutsideBytes();
  });

  it('one tensor under 20 000 names counts 20 000 times (a safetensors copy each); the override lets a trusted file open', async () => {
    const w = orderedDictPickle();
    w.str('n0');
    pushTensor(w, { key: '0', numel: 1024, shape: [1024], stride: [1] });
    const t = w.put();
    w.op('s');
    for (let i = 1; i < 20_000; i++) w.str(`n${i}`).get(t).op('s');
    const path = write('names.pt', ptFile(w.finish(), [{ key: '0', data: f32Bytes(new Float32Array(1024).fill(3)) }]));
    expect((await refusal(path)).problem).toMatch(/its tensors would expand to 81920000 bytes, over the limit of 67108864 bytes/);
    const before = process.env[MAX_EXPANSION_ENV];
    process.env[MAX_EXPANSION_ENV] = '100000';
    try {
      await withSource(path, async (s) => {
        expect(s.tensors).toHaveLength(20_000);
        expect(s.tied).toHaveLength(1);
        expect(s.tied[0]).toHaveLength(20_000);
      });
      process.env[MAX_EXPANSION_ENV] = 'lots';
      await expect(openPytorch(path)).rejects.toThrow(/MERGE_STUDIO_MAX_EXPANSION must be a number of at least 1, got "lots"/);
    } finally {
      if (before === undefined) delete process.env[MAX_EXPANSION_ENV];
      else process.env[MAX_EXPANSION_ENV] = before;
    }
  }, 30_000);

  it('counts the inflating of records that are not kept once per read, and kept ones once', () => {
    const storage = { kind: 'storage' as const, key: '0', dtype: 'f32' as const, numel: 1 << 20, elementOffset: 0, location: 'cpu' };
    const views = Array.from({ length: 100 }, (_, i) => ({
      name: `v${i}`,
      tensor: { storage, offset: (1 << 20) - 4, shape: [4], stride: [1], dtype: 'f32' as const },
    }));
    const source = (kept: boolean) => () => ({ byteLength: 4 << 20, read: async () => new Uint8Array(0), inflation: { kept, bytes: 4 << 20 } });
    const perRead = measureExpansion(views, source(false));
    expect(perRead.inflatedBytes).toBe(100 * (4 << 20));
    expect(perRead.tensorBytes).toBe(100 * 16);
    expect(expansionProblem(100_000, perRead, 200)).toMatch(/reading its tensors would inflate 419430400 bytes from its compressed records/);
    const once = measureExpansion(views, source(true));
    expect(once.inflatedBytes).toBe(4 << 20);
    expect(expansionProblem(100_000, once, 200)).toBeNull();
    expect(EXPANSION_FLOOR_BYTES).toBeGreaterThan(4 << 20);
  });
});

/** A safetensors file of tensors a and b (equal bytes, as our writer stores a tied pair) with `tied` as its tie metadata. */
function safetensorsWithTies(name: string, tied: unknown): string {
  const data = f32Bytes([1, 2]);
  const header = {
    __metadata__: { [TIED_METADATA_KEY]: JSON.stringify(tied) },
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
  };
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return write(name, Buffer.concat([len, json, data, data]));
}

describe('item 8: tie metadata', () => {
  it.each([
    ['twice', [['a', 'a']], [], /tied group \["a","a"\] names "a" twice/],
    ['cross', [['a', 'b'], ['b', 'a']], [['a', 'b']], /tied group \["b","a"\] names "b", already tied in group \["a","b"\]/],
    ['again', [['a', 'b', 'a']], [], /tied group \["a","b","a"\] names "a" twice/],
    ['unknown', [['a', 'zz']], [], /tied group \["a","zz"\] names "zz", which is not among the tensors/],
  ] as [string, unknown, string[][], RegExp][])('%s: the bad group is left out with a precise note; convert writes sound files', async (name, tied, kept, note) => {
    const path = safetensorsWithTies(`${name}.safetensors`, tied);
    await withSource(path, async (s) => {
      expect(s.tied).toEqual(kept);
      expect(s.notes.join('\n')).toMatch(note);
    });
    for (const ext of ['safetensors', 'pt']) {
      const out = join(dir, `${name}-out.${ext}`);
      await convertModel(path, out);
      const info = await inspectModel(out, { stats: true });
      expect(info.damaged, out).toEqual([]);
      expect(info.tied).toEqual(kept);
      await withSource(out, async (s) => {
        expect(await floats(s, 'a')).toEqual([1, 2]);
        expect(await floats(s, 'b')).toEqual([1, 2]);
      });
    }
    expectNoOutsideBytes();
  });

  it('writers given inconsistent groups refuse with the tie problem and a tie hint, leaving nothing behind', async () => {
    const specs = [{ name: 'a', dtype: 'f32' as const, shape: [2] }, { name: 'b', dtype: 'f32' as const, shape: [2] }];
    const pt = join(dir, 'refused.pt');
    const ptErr = await beginPytorchWrite(pt, specs, { tied: [['a', 'b'], ['b', 'a']] }).catch((e: unknown) => e) as ModelFileError;
    expect(ptErr).toBeInstanceOf(ModelFileError);
    expect(ptErr.problem).toMatch(/tied group \["b","a"\] names "b", already tied in group \["a","b"\]/);
    expect(ptErr.hint).toMatch(/tied name/);
    expect(ptErr.hint).not.toMatch(/f64|dtype/);
    const st = join(dir, 'refused.safetensors');
    const stErr = await writerFor(st).begin(st, specs, { tied: [['a', 'a']] }).catch((e: unknown) => e) as ModelFileError;
    expect(stErr).toBeInstanceOf(ModelFileError);
    expect(stErr.problem).toMatch(/tied group \["a","a"\] names "a" twice/);
    expect(existsSync(pt)).toBe(false);
    expect(existsSync(st)).toBe(false);
  });
});
