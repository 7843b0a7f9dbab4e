// `inspect` checks what it reports: a real torch.save file with one byte of a tensor record changed (its
// zip CRC-32 no longer holds) and a real ONNX file whose initializer holds fewer floats than its dims are
// reported as "damaged" — the same files `convert` refuses — while sound files pass both checks.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspectModel } from '../../main/engine/inspect';
import { decodeModel, encodeModel } from '../../main/engine/onnx/proto';
import { OpenModels } from '../../main/engine/loaded/openModels';
import { ZipArchive } from '../../main/engine/formats/pytorch/zip';

const ROOT = path.resolve(__dirname, '../..');
const FIX = path.join(ROOT, 'tests/fixtures');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-damaged-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** smallcnn.pt (written by PyTorch) with one byte in the middle of its biggest data record flipped. */
async function damagedPt(): Promise<{ file: string; record: string }> {
  const src = path.join(FIX, 'pytorch/smallcnn.pt');
  const fh = await fs.promises.open(src, 'r');
  const zip = await ZipArchive.open(fh, (await fh.stat()).size, { maxInflateBytes: 1 << 20, maxRatio: 200 });
  const entry = zip.entries.filter((e) => /\/data\/\d+$/.test(e.name)).sort((a, b) => b.size - a.size)[0];
  const start = await zip.dataOffset(entry);
  await fh.close();
  expect(entry.size).toBeGreaterThan(100);
  expect(entry.crc32).not.toBe(0);
  const bytes = Buffer.from(fs.readFileSync(src));
  bytes[start + (entry.size >> 1)] ^= 0x40;
  const file = path.join(dir, 'smallcnn-bad-crc.pt');
  fs.writeFileSync(file, bytes);
  return { file, record: entry.name };
}

/** typed_fields.onnx (written by the onnx package) with its float_data initializer one value short of its dims. */
function shortOnnx(): { file: string; name: string } {
  const model = decodeModel(fs.readFileSync(path.join(FIX, 'formats/typed_fields.onnx')));
  const init = model.graph!.initializer.find((t) => (t.floatData?.length ?? 0) > 1)!;
  init.floatData = init.floatData!.slice(0, -1);
  const file = path.join(dir, 'typed-short.onnx');
  fs.writeFileSync(file, encodeModel(model));
  return { file, name: init.name };
}

describe('inspect says "damaged" when the file does not hold what it claims', () => {
  it('a .pt whose record fails its CRC: sound by sizes, damaged once --stats reads it; convert refuses it too', async () => {
    const { file, record } = await damagedPt();
    const plain = cli('inspect', file);
    expect(plain.code).toBe(0); // sizes hold; the CRC is only checked when the bytes are read
    expect(plain.out).toMatch(/sizes checked/);
    const r = cli('inspect', file, '--stats');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/DAMAGED/);
    expect(r.out).toContain(`damaged: entry ${record} fails its CRC-32 check`);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/smallcnn-bad-crc\.pt is damaged: entry \S+ fails its CRC-32 check .*; it holds "[^"]+"/);
    const json = JSON.parse(cli('inspect', file, '--stats', '--json').out);
    expect(json.damaged.some((d: string) => d.includes(record) && /CRC-32/.test(d))).toBe(true);
    const conv = cli('convert', file, path.join(dir, 'never.safetensors'));
    expect(conv.code).toBe(2);
    expect(conv.err).toMatch(/CRC/);
    expect(fs.existsSync(path.join(dir, 'never.safetensors'))).toBe(false);
  });

  it('an ONNX initializer with fewer values than its dims: damaged even without --stats; convert refuses it too', () => {
    const { file, name } = shortOnnx();
    const r = cli('inspect', file);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/DAMAGED/);
    expect(r.out).toMatch(new RegExp(`damaged: initializer "${name}" holds (\\d+) values in its typed field but its shape needs (\\d+)`));
    const [, held, needed] = /holds (\d+) values .* needs (\d+)/.exec(r.out)!;
    expect(Number(held)).toBe(Number(needed) - 1);
    const conv = cli('convert', file, path.join(dir, 'never.onnx'));
    expect(conv.code).toBe(2);
    expect(conv.err).toContain(name);
  });

  it('sound files: nothing damaged, with and without stats (the statistics are those of the data)', async () => {
    for (const f of ['pytorch/smallcnn.pt', 'formats/typed_fields.onnx', 'formats/tiny_cnn_b.safetensors', 'pytorch/deflated.pt']) {
      const info = await inspectModel(path.join(FIX, f), { stats: true });
      expect(info.damaged, f).toEqual([]);
      expect(Object.keys(info.stats!).sort()).toEqual(info.tensors.map((t) => t.name).sort());
    }
    const r = cli('inspect', path.join(FIX, 'pytorch/smallcnn.pt'), '--stats');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/checked: sizes and checksums hold/);
    expect(r.out).toMatch(/min -?\d\.\d{4} max -?\d\.\d{4} mean/);
  });

  it('the Load screen shows the damage, and refuses statistics of a tensor whose record fails its CRC', async () => {
    const models = new OpenModels();
    const short = await models.open(shortOnnx().file);
    expect(short.inspection.damaged).toEqual([expect.stringMatching(/holds \d+ values in its typed field/)]);
    const { file } = await damagedPt();
    const pt = await models.open(file);
    expect(pt.inspection.damaged).toEqual([]);
    const results = await Promise.allSettled(pt.inspection.tensors.map((t) => models.stats(pt.modelId, t.name)));
    const refused = results.filter((x) => x.status === 'rejected').map((x) => String((x as PromiseRejectedResult).reason.message));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatch(/smallcnn-bad-crc\.pt is damaged: entry \S+ fails its CRC-32 check/);
    expect(results.some((x) => x.status === 'fulfilled')).toBe(true);
    await models.close(pt.modelId);
    await models.close(short.modelId);
  });
});
