// Hostile model files (issue 21), each made here: links that lead out of a model's folder, special files named
// like models, control bytes in names, and 130k tensors. Each ends in a clear refusal (exit code 2 from the CLI)
// or a correct result, and no byte of a file outside the model's folder reaches any output.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { terminalSafe } from '../../../main/cli/terminal-text';
import { weightDiffSpec } from '../../../main/engine/charts/compare';
import { createEngine } from '../../../main/engine/engine';
import { convertModel } from '../../../main/engine/convert';
import { describeWriteError } from '../../../main/engine/files/disk-errors';
import { parseTempName } from '../../../main/engine/files/temp-files';
import { hfCacheBlobs } from '../../../main/engine/formats/linked-files';
import { unpickle } from '../../../main/engine/formats/pytorch/unpickle';
import { openModel } from '../../../main/engine/formats/registry';
import { getArchitecture } from '../../../main/engine/models/registry';
import { inferenceModel, initialState } from '../../../main/engine/models/state';
import { toFloat32 } from '../../../main/engine/tensor/dtypes';
import { decodeModel, encodeModel } from '../../../main/engine/onnx/proto';
import { fixture, safetensorsBytes, tempDir } from './format-fixtures';

const ROOT = path.resolve(__dirname, '../../..');
const tmp = tempDir();
afterAll(() => tmp.remove());

/** Bytes that exist only in the files outside the model folders: found in an output, they leaked. */
const SECRET = Buffer.from('OUTSIDE-SECRET-BYTES-0123456789!');

interface CliRun { code: number | null; signal: NodeJS.Signals | null; out: string; err: string }

/** The CLI in a child process; `timeout` is a ceiling for a hang, far above a normal run. */
function cli(args: string[], timeout = 60_000): CliRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

function mkdir(...parts: string[]): string {
  const d = path.join(tmp.dir, ...parts);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** A safetensors file of u8 tensors (their bytes as given). */
function writeSafetensors(file: string, tensors: { name: string; bytes: Uint8Array }[]): void {
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'U8', shape: [t.bytes.length], data_offsets: [at, at + t.bytes.length] };
    at += t.bytes.length;
  }
  fs.writeFileSync(file, safetensorsBytes(header, Buffer.concat(tensors.map((t) => t.bytes))));
}

function writeIndex(file: string, weightMap: Record<string, string>): void {
  fs.writeFileSync(file, JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
}

/** Every file under `dir` (temp files included), for the search of leaked bytes. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

function expectNoSecretIn(dir: string): void {
  for (const f of filesUnder(dir)) expect(fs.readFileSync(f).includes(SECRET), `${f} holds bytes of the outside file`).toBe(false);
}

const inside = { name: 'inside.weight', bytes: Uint8Array.from([1, 2, 3, 4]) };

/** outside/secret.safetensors: a file of the user's that no model folder may reach. */
function outsideSecret(): string {
  const file = path.join(mkdir('outside'), 'secret.safetensors');
  if (!fs.existsSync(file)) writeSafetensors(file, [{ name: 'secret.weight', bytes: SECRET }]);
  return file;
}

/** A sharded model whose second shard is a symlink to `target`. */
function shardedModel(folder: string, target: string): string {
  const dir = mkdir(folder);
  writeSafetensors(path.join(dir, 'model-00001.safetensors'), [inside]);
  fs.symlinkSync(target, path.join(dir, 'model-00002.safetensors'));
  const index = path.join(dir, 'model.safetensors.index.json');
  writeIndex(index, { 'inside.weight': 'model-00001.safetensors', 'secret.weight': 'model-00002.safetensors' });
  return index;
}

/** The ONNX fixture with external data, its .onnx copied into `folder`; `location` rewritten when given. */
function onnxWithExternal(folder: string, location?: string): { model: string; dir: string } {
  const dir = mkdir(folder);
  const model = path.join(dir, 'tiny_cnn_external.onnx');
  const proto = decodeModel(fs.readFileSync(fixture('tiny_cnn_external.onnx')));
  if (location) {
    for (const t of proto.graph.initializer) for (const e of t.externalData ?? []) if (e.key === 'location') e.value = location;
  }
  fs.writeFileSync(model, encodeModel(proto));
  return { model, dir };
}

/** The fixture's external data with SECRET over its first bytes, outside every model folder. */
function outsideOnnxData(): string {
  const file = path.join(mkdir('outside'), 'weights.data');
  if (!fs.existsSync(file)) {
    const data = fs.readFileSync(fixture('tiny_cnn_external.onnx.data'));
    SECRET.copy(data, 0);
    fs.writeFileSync(file, data);
  }
  return file;
}

const ESCAPES_FOLDER = /outside the model's folder/;

describe('links out of a model folder (item 2)', () => {
  it('a shard that links outside the index\'s folder: refused by open, inspect, convert, merge and serve; nothing of it is written', async () => {
    const index = shardedModel('escape-shard', outsideSecret());
    await expect(openModel(index)).rejects.toThrow(/shard "model-00002\.safetensors", which resolves \(through links\) to .*secret\.safetensors, outside the model's folder/);

    const inspect = cli(['inspect', index]);
    expect(inspect.code).toBe(2);
    expect(inspect.err).toMatch(ESCAPES_FOLDER);
    expect(inspect.out).not.toContain('secret.weight');

    const out = mkdir('escape-shard-out');
    const convert = cli(['convert', index, path.join(out, 'converted.safetensors')]);
    expect(convert.code).toBe(2);
    expect(convert.err).toMatch(ESCAPES_FOLDER);

    const recipe = path.join(out, 'recipe.yaml');
    fs.writeFileSync(recipe, `method: mean\nmodels: [{path: ${JSON.stringify(index)}}, {path: ${JSON.stringify(index)}}]\noutput: {path: ${JSON.stringify(path.join(out, 'merged.safetensors'))}}\n`);
    const merge = cli(['merge', recipe, '--workspace-dir', mkdir('escape-shard-ws')]);
    expect(merge.code).not.toBe(0);
    expect(merge.err).toMatch(ESCAPES_FOLDER);
    expect(fs.readdirSync(out)).toEqual(['recipe.yaml']);
    expectNoSecretIn(out);
    expectNoSecretIn(path.join(tmp.dir, 'escape-shard-ws'));

    // serve and the desktop app open models through the engine's openModel call, inside their allowed folders
    const engine = createEngine(() => {}, 'browser', { roots: [path.dirname(index)] });
    await expect(engine.call('openModel', { path: index })).rejects.toThrow(ESCAPES_FOLDER);
  });

  it('an ONNX model whose external data file links outside its folder (or sits in a linked subfolder): refused', async () => {
    const { model, dir } = onnxWithExternal('escape-onnx');
    fs.symlinkSync(outsideOnnxData(), path.join(dir, 'tiny_cnn_external.onnx.data'));
    await expect(openModel(model)).rejects.toThrow(/external data file "tiny_cnn_external\.onnx\.data", which resolves \(through links\) to .*weights\.data, outside the model's folder/);
    const out = mkdir('escape-onnx-out');
    const convert = cli(['convert', model, path.join(out, 'converted.safetensors')]);
    expect(convert.code).toBe(2);
    expect(convert.err).toMatch(ESCAPES_FOLDER);
    const inspect = cli(['inspect', model]);
    expect(inspect.code).toBe(2);
    expect(inspect.err).toMatch(ESCAPES_FOLDER);
    expectNoSecretIn(out);

    // the location names a file in a subfolder, and the subfolder is a link out
    const sub = onnxWithExternal('escape-onnx-sub', 'w/weights.data');
    fs.symlinkSync(path.dirname(outsideOnnxData()), path.join(sub.dir, 'w'));
    await expect(openModel(sub.model)).rejects.toThrow(ESCAPES_FOLDER);
    await expect(convertModel(sub.model, path.join(out, 'sub.safetensors'))).rejects.toThrow(ESCAPES_FOLDER);
    expectNoSecretIn(out);
  });

  it('links that stay inside the model folder still open', async () => {
    const dir = mkdir('inside-links');
    writeSafetensors(path.join(dir, 'real-shard.safetensors'), [{ name: 'b', bytes: Uint8Array.from([9, 8]) }]);
    writeSafetensors(path.join(dir, 'model-00001.safetensors'), [inside]);
    fs.symlinkSync('real-shard.safetensors', path.join(dir, 'model-00002.safetensors'));
    const index = path.join(dir, 'model.safetensors.index.json');
    writeIndex(index, { 'inside.weight': 'model-00001.safetensors', b: 'model-00002.safetensors' });
    const src = await openModel(index);
    try {
      expect(Array.from(await src.tensors[1].read())).toEqual([9, 8]);
    } finally {
      await src.close();
    }
  });

  it('keeps the Hugging Face cache layout working: snapshots/REV/* are links into ../../blobs/', async () => {
    const repo = mkdir('hub', 'models--org--name');
    const blobs = mkdir('hub', 'models--org--name', 'blobs');
    const snap = mkdir('hub', 'models--org--name', 'snapshots', 'abc123');
    writeSafetensors(path.join(blobs, 'b1'), [inside]);
    writeSafetensors(path.join(blobs, 'b2'), [{ name: 'second.weight', bytes: Uint8Array.from([5, 6, 7]) }]);
    writeIndex(path.join(blobs, 'b0'), { 'inside.weight': 'model-00001.safetensors', 'second.weight': 'model-00002.safetensors' });
    fs.symlinkSync('../../blobs/b0', path.join(snap, 'model.safetensors.index.json'));
    fs.symlinkSync('../../blobs/b1', path.join(snap, 'model-00001.safetensors'));
    fs.symlinkSync('../../blobs/b2', path.join(snap, 'model-00002.safetensors'));
    const index = path.join(snap, 'model.safetensors.index.json');
    expect(hfCacheBlobs(fs.realpathSync(snap))).toBe(path.join(fs.realpathSync(repo), 'blobs'));

    const src = await openModel(index);
    try {
      expect(src.tensors.map((t) => t.name)).toEqual(['inside.weight', 'second.weight']);
      expect(Array.from(await src.tensors[1].read())).toEqual([5, 6, 7]);
    } finally {
      await src.close();
    }
    const inspect = cli(['inspect', index]);
    expect(inspect.code).toBe(0);
    expect(inspect.out).toContain('second.weight');

    // serve and the desktop app: the engine's allowed-folder check keeps the link's own folder (the snapshot)
    const engine = createEngine(() => {}, 'browser', { roots: [path.join(tmp.dir, 'hub')] });
    const opened = await engine.call('openModel', { path: index }) as { inspection: { tensors: { name: string }[] } };
    expect(opened.inspection.tensors.map((t) => t.name)).toEqual(['inside.weight', 'second.weight']);

    // an ONNX model in a subfolder of the snapshot, its external data in blobs/ too
    fs.copyFileSync(fixture('tiny_cnn_external.onnx'), path.join(blobs, 'o1'));
    fs.copyFileSync(fixture('tiny_cnn_external.onnx.data'), path.join(blobs, 'o2'));
    const onnxDir = mkdir('hub', 'models--org--name', 'snapshots', 'abc123', 'onnx');
    fs.symlinkSync('../../../blobs/o1', path.join(onnxDir, 'model.onnx'));
    fs.symlinkSync('../../../blobs/o2', path.join(onnxDir, 'tiny_cnn_external.onnx.data'));
    const viaCache = await openModel(path.join(onnxDir, 'model.onnx'));
    const direct = await openModel(fixture('tiny_cnn_external.onnx'));
    try {
      expect(viaCache.tensors.map((t) => t.name)).toEqual(direct.tensors.map((t) => t.name));
      for (let i = 0; i < direct.tensors.length; i++) expect(await viaCache.tensors[i].read()).toEqual(await direct.tensors[i].read());
    } finally {
      await viaCache.close();
      await direct.close();
    }

    // a snapshot's link into ANOTHER repo's blobs is an escape like any other
    const other = mkdir('hub', 'models--evil--repo', 'blobs');
    writeSafetensors(path.join(other, 'x'), [{ name: 'secret.weight', bytes: SECRET }]);
    const snap2 = mkdir('hub', 'models--org--name', 'snapshots', 'def456');
    fs.symlinkSync('../../blobs/b1', path.join(snap2, 'model-00001.safetensors'));
    fs.symlinkSync('../../../models--evil--repo/blobs/x', path.join(snap2, 'model-00002.safetensors'));
    writeIndex(path.join(snap2, 'model.safetensors.index.json'), { 'inside.weight': 'model-00001.safetensors', 'secret.weight': 'model-00002.safetensors' });
    await expect(openModel(path.join(snap2, 'model.safetensors.index.json'))).rejects.toThrow(ESCAPES_FOLDER);
  });
});

describe.skipIf(process.platform === 'win32')('special files named like models (item 6)', () => {
  const fifo = (name: string) => {
    const p = path.join(mkdir('special'), name);
    execFileSync('mkfifo', [p]);
    return p;
  };

  it('a FIFO named x.safetensors, a FIFO shard, a FIFO external data file and a device: refused at once, no hang', () => {
    const cases: { file: string; message: RegExp }[] = [];
    cases.push({ file: fifo('x.safetensors'), message: /x\.safetensors: is a named pipe \(FIFO\), not a regular file/ });

    const dir = mkdir('special', 'sharded');
    writeSafetensors(path.join(dir, 'model-00001.safetensors'), [inside]);
    execFileSync('mkfifo', [path.join(dir, 'model-00002.safetensors')]);
    writeIndex(path.join(dir, 'model.safetensors.index.json'), { 'inside.weight': 'model-00001.safetensors', b: 'model-00002.safetensors' });
    cases.push({ file: path.join(dir, 'model.safetensors.index.json'), message: /model-00002\.safetensors: is a named pipe \(FIFO\), not a regular file; a shard must be a regular file/ });

    const { model, dir: onnxDir } = onnxWithExternal(path.join('special', 'onnx'));
    execFileSync('mkfifo', [path.join(onnxDir, 'tiny_cnn_external.onnx.data')]);
    cases.push({ file: model, message: /tiny_cnn_external\.onnx\.data: is a named pipe \(FIFO\), not a regular file; an external data file must be a regular file/ });

    if (fs.existsSync('/dev/zero')) {
      const zero = path.join(mkdir('special'), 'zero.safetensors');
      fs.symlinkSync('/dev/zero', zero);
      cases.push({ file: zero, message: /zero\.safetensors: is a character device, not a regular file/ });
    }
    for (const c of cases) {
      const r = cli(['inspect', c.file], 30_000); // a ceiling for the hang this was: a FIFO's open() waited forever
      expect(r.signal, `inspect ${c.file} was killed at the ceiling: it hung`).toBeNull();
      expect(r.code).toBe(2);
      expect(r.err).toMatch(c.message);
    }
  });
});

describe('control bytes in names reach the terminal escaped (item 7)', () => {
  const hostile = ['\x1b]0;owned\x07title', '\x1b[2J\x1b[Hclear', 'line\ndamaged: forged', '\u009b31mc1', '\u202eevil.exe', 'tab\there\r'];

  it('terminalSafe leaves no control character, and JSON passed through it parses to the same strings', () => {
    const all = Array.from({ length: 0xa0 }, (_, c) => String.fromCharCode(c)).join('') + '\u061c\u200e\u200f\u2028\u2029\u202a\u202e\u2066\u2069';
    // eslint-disable-next-line no-control-regex -- the characters under test
    const unsafe = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
    expect(terminalSafe(all)).not.toMatch(unsafe);
    expect(terminalSafe(all, { keepLines: true }).replace(/[\n\t]/g, '')).not.toMatch(unsafe);
    expect(terminalSafe('plain name — ünïcode █')).toBe('plain name — ünïcode █');
    const json = JSON.stringify({ names: [...hostile, all] });
    expect(JSON.parse(terminalSafe(json, { keepLines: true }))).toEqual({ names: [...hostile, all] });
  });

  it('inspect, convert\'s progress and error lines print names with ESC escaped; --json keeps them exactly', () => {
    const dir = mkdir('names');
    const file = path.join(dir, 'names.safetensors');
    writeSafetensors(file, hostile.map((name, i) => ({ name, bytes: Uint8Array.from([i]) })));
    // eslint-disable-next-line no-control-regex -- what must not reach a terminal
    const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;

    const inspect = cli(['inspect', file]);
    expect(inspect.code).toBe(0);
    expect(inspect.out).not.toMatch(raw);
    expect(inspect.out).toContain('\\u001b]0;owned\\u0007title');
    expect(inspect.out.split('\n').some((l) => l.startsWith('damaged:'))).toBe(false); // the name's newline made no line
    const json = JSON.parse(cli(['inspect', file, '--json']).out);
    expect(json.tensors.map((t: { name: string }) => t.name)).toEqual(hostile);

    const convert = cli(['convert', file, path.join(dir, 'out.safetensors')]);
    expect(convert.code).toBe(0);
    expect(convert.err).toMatch(/converting .*\\u001b\]0;owned\\u0007title/); // the first progress line names the first tensor
    expect(convert.err + convert.out).not.toMatch(raw);

    // an error that quotes a name: a header whose first tensor has bad offsets
    const bad = path.join(dir, 'bad.safetensors');
    fs.writeFileSync(bad, safetensorsBytes({ '\x1b[2Jx': { dtype: 'U8', shape: [2], data_offsets: [0, 1] } }, new Uint8Array(1)));
    const refused = cli(['inspect', bad]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('tensor "\\u001b[2Jx"');
    expect(refused.err).not.toMatch(raw);
  });
});

describe('scale: 130k tensors (item 9)', () => {
  const N = 130_000;
  /** `n` one-byte u8 tensors named layers.i.w, as one header (built directly: the file is ~10 MB of header). */
  const manyTensors = (file: string, n: number, from = 0) => {
    const header: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) header[`layers.${from + i}.w`] = { dtype: 'U8', shape: [1], data_offsets: [i, i + 1] };
    fs.writeFileSync(file, safetensorsBytes(header, Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff)));
  };

  it('inspect lists a safetensors file of 130k tensors (no spread into Math.max)', () => {
    const file = path.join(mkdir('scale'), 'many.safetensors');
    manyTensors(file, N);
    const r = cli(['inspect', file], 120_000);
    expect(r.err).not.toMatch(/call stack/);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${N} tensors`);
    expect(r.out.split('\n').filter((l) => /^ {2}layers\.\d+\.w /.test(l))).toHaveLength(N);
  }, 120_000);

  it('a sharded index of 130k tensors opens (tensors found by name, not by a scan per name)', async () => {
    const dir = mkdir('scale-index');
    manyTensors(path.join(dir, 'a.safetensors'), N / 2);
    manyTensors(path.join(dir, 'b.safetensors'), N / 2, N / 2);
    const map: Record<string, string> = {};
    for (let i = 0; i < N; i++) map[`layers.${i}.w`] = i < N / 2 ? 'a.safetensors' : 'b.safetensors';
    writeIndex(path.join(dir, 'model.safetensors.index.json'), map);
    const src = await openModel(path.join(dir, 'model.safetensors.index.json'));
    try {
      expect(src.tensors).toHaveLength(N);
      expect(Array.from(await src.tensors[N - 1].read())).toEqual([(N - 1) & 0xff]);
    } finally {
      await src.close();
    }
  }, 60_000); // the quadratic lookup it replaces took minutes here: this is a ceiling for that

  it('the weight-diff chart and the unpickler take 200k items', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => ({ name: `t${i}`, cosine: i === 123_456 ? -0.75 : 0.5, relativeL2: 0 }));
    const spec = JSON.stringify(weightDiffSpec(rows, { a: 'a', b: 'b' }));
    expect(spec).toContain('"domain":[-0.75,1]');

    // protocol 2: EMPTY_LIST, MARK, 200k × BININT1 7, APPENDS, STOP
    const n = 200_000;
    const bytes = Buffer.concat([Buffer.from([0x80, 0x02, 0x5d, 0x28]), Buffer.from(Array.from({ length: n }, () => [0x4b, 7]).flat()), Buffer.from([0x65, 0x2e])]);
    const value = unpickle(bytes, 0, { persistentLoad: () => { throw new Error('no storages'); } }).value as number[];
    expect(value).toHaveLength(n);
    expect(value[n - 1]).toBe(7);
  });
});

describe('writing into a folder that cannot take the file (item 12)', () => {
  const model = fixture('tiny_cnn_b.safetensors');
  const noTempName = (text: string) => expect(text).not.toMatch(/\.tmp\b/);

  it('convert into a missing folder makes it and says so; below a file: the error names the file in the way, never the temp file', () => {
    const missing = path.join(tmp.dir, 'no-such-folder', 'out.safetensors');
    const r = cli(['convert', model, missing]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`made the folder ${path.dirname(missing)}`);
    expect(fs.existsSync(missing)).toBe(true);

    const file = path.join(mkdir('write'), 'a-file');
    fs.writeFileSync(file, 'not a folder');
    const below = cli(['convert', model, path.join(file, 'out.safetensors')]);
    expect(below.code).toBe(2);
    expect(below.err).toContain(`${file} is a file, not a folder`);
    noTempName(below.err);
  });

  it('train into a run folder below a file: names the run folder and the file in the way', () => {
    const file = path.join(mkdir('write'), 'b-file');
    fs.writeFileSync(file, 'not a folder');
    const r = cli(['train', '--arch', 'mlp', '--hidden', '4', '--epochs', '1', '--out', path.join(file, 'run'), '--quiet'], 120_000);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cannot create the run folder ${path.join(file, 'run')}: ${file} is a file, not a folder`);
    expect(r.err).not.toMatch(/ENOTDIR/);
  }, 120_000);

  it('a folder without write permission: the error says which folder and why', async () => {
    const dir = mkdir('write', 'locked');
    const eacces = Object.assign(new Error(`EACCES: permission denied, open '${path.join(dir, '.out.safetensors.1-0123abcd.tmp')}'`), { code: 'EACCES' });
    const described = describeWriteError(path.join(dir, 'out.safetensors'), eacces).message;
    expect(described).toContain(`permission denied in the folder ${dir} (EACCES) — choose a folder you can write to`);
    noTempName(described);
    // a real refusal needs a user the permission bits bind (root writes anywhere)
    if (process.getuid?.() === 0 || process.platform === 'win32') return;
    fs.chmodSync(dir, 0o555);
    try {
      await expect(convertModel(model, path.join(dir, 'out.safetensors'))).rejects.toThrow(`permission denied in the folder ${dir} (EACCES)`);
      const r = cli(['train', '--arch', 'mlp', '--hidden', '4', '--epochs', '1', '--out', path.join(dir, 'run'), '--quiet'], 120_000);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`cannot create the run folder ${path.join(dir, 'run')}: permission denied in the folder ${dir}`);
    } finally {
      fs.chmodSync(dir, 0o755);
    }
  }, 120_000);

  it('a convert killed mid-write leaves a temp file; the next convert into that folder removes it', async () => {
    const dir = mkdir('killed');
    const big = path.join(dir, 'big.safetensors');
    writeSafetensors(big, Array.from({ length: 8 }, (_, i) => ({ name: `t${i}`, bytes: new Uint8Array(4 << 20).fill(i) })));
    const out = mkdir('killed', 'out');
    const temps = () => fs.readdirSync(out).filter((n) => parseTempName(n));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli.ts'), 'convert', big, path.join(out, 'c.safetensors')], { cwd: ROOT, stdio: 'ignore' });
    const until = Date.now() + 60_000;
    while (!temps().length) {
      if (child.exitCode !== null) throw new Error(`convert ended (exit ${child.exitCode}) before its temp file was seen`);
      if (Date.now() > until) throw new Error('convert never started writing');
      await new Promise((r) => setImmediate(r));
    }
    child.kill('SIGSTOP');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const [left] = temps();
    expect(left).toBeDefined();
    expect(fs.existsSync(path.join(out, 'c.safetensors'))).toBe(false);

    const again = cli(['convert', fixture('tiny_cnn_b.safetensors'), path.join(out, 'small.safetensors')]);
    expect(again.code).toBe(0);
    expect(again.err).toContain(`removed 1 temp file left by a convert that did not finish: ${left}`);
    expect(temps()).toEqual([]);
  }, 120_000);
});

describe('also seen (item 13)', () => {
  const values = async (file: string) => {
    const src = await openModel(file);
    try {
      return new Map(await Promise.all(src.tensors.map(async (t) => [t.name, toFloat32(await t.read(), t.dtype)] as const)));
    } finally {
      await src.close();
    }
  };

  it('a soup of ONNX models without -o is an ONNX soup that runs; with -o x.safetensors it runs on their graph', async () => {
    const inputs = [0, 1].map((i) => path.join(ROOT, 'tests/fixtures/merge', `cnn_${i}.onnx`));
    const ws = mkdir('soup-ws');
    const r = cli(['soup', ...inputs, '--heldout', 'mnist:test', '--workspace-dir', ws, '--json'], 120_000);
    expect(r.code, r.err).toBe(0);
    const soup = JSON.parse(r.out).soup;
    expect(soup.path).toMatch(/uniform-soup\.onnx$/);
    const [a, b, m] = await Promise.all([...inputs, soup.path].map(values));
    for (const [name, va] of a) {
      const vb = b.get(name)!, vm = m.get(name)!;
      for (let i = 0; i < va.length; i++) expect(vm[i]).toBeCloseTo((va[i] + vb[i]) / 2, 6);
    }

    const out = path.join(mkdir('soup-out'), 'soup.safetensors');
    const w = cli(['soup', ...inputs, '--heldout', 'mnist:test', '--workspace-dir', ws, '-o', out, '--json'], 120_000);
    expect(w.code, w.err).toBe(0);
    expect(JSON.parse(w.out).soup.heldout).toBe(soup.heldout); // the same weights on the same graph
  }, 240_000);

  it('activation alignment of a one-layer ONNX model: nothing to permute, the model is kept (no onnxruntime error)', async () => {
    const dir = mkdir('one-layer');
    const g = getArchitecture('mlp').build({ inputShape: [1, 28, 28], numClasses: 10, hidden: [] });
    const files = [1, 2].map((seed) => {
      const f = path.join(dir, `one_${seed}.onnx`);
      fs.writeFileSync(f, encodeModel(inferenceModel(g, initialState(g, seed))));
      return f;
    });
    const out = path.join(dir, 'aligned');
    const r = cli(['align', ...files, '--method', 'activation', '--dataset', 'mnist:test', '--samples', '64', '--out', out], 120_000);
    expect(r.err).not.toMatch(/At least one output should be requested/);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/no hidden units to permute/);
    const [before, after] = await Promise.all([files[1], path.join(out, 'one_2.aligned.onnx')].map(values));
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, v] of before) expect(after.get(name)).toEqual(v);
  }, 120_000);
});
