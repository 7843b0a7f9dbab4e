// Runs you can trust, from the command line: train, align, curve and eval are runs of the workspace that
// --workspace-dir names (listed by `runs`, renamed by `runs --label`, deleted like any run); a train --out
// folder elsewhere is recorded too; nothing that exists is replaced without --overwrite; eval runs a merge of
// our checkpoints without --arch, as compare does; merge says what it wrote once, with no count of nothing.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deleteRun } from '../../main/engine/compare/history';

const ROOT = path.resolve(__dirname, '../..');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

interface Listed { id: string; label: string; kind: string; status: string; dir: string; inputs: string[]; outputs: string[] }
const runsOf = (ws: string): Listed[] => JSON.parse(cli('runs', '--json', '--workspace-dir', ws).out) as Listed[];
const record = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;

let ws: string, scratch: string;
/** Two small MLP trainings of the workspace (into their own run folders), each keeping its checkpoint. */
let a: Listed, b: Listed;

beforeAll(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-runs-'));
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-runs-out-'));
  for (const seed of ['1', '2']) {
    const r = cli('train', '--arch', 'mlp', '--hidden', '32', '--dataset', 'mnist:val', '--epochs', '1', '--keep-from', '1', '--seed', seed, '--quiet', '--workspace-dir', ws);
    expect(r.code, r.err).toBe(0);
  }
  [b, a] = runsOf(ws);
}, 300_000);

describe('train, align, curve and eval are runs of the workspace', () => {
  it('train without --out trains into a new run folder of the workspace, with an id, a label and its settings', () => {
    expect(a.dir).not.toBe(b.dir);
    expect(path.dirname(a.dir)).toBe(path.join(ws, 'runs'));
    expect(a).toMatchObject({ kind: 'train', status: 'completed', label: 'train · mlp on mnist:val', id: path.basename(a.dir) });
    expect(a.outputs).toContain(path.join(a.dir, 'checkpoints', 'epoch-001.safetensors'));
    expect(record(a.dir)).toMatchObject({ id: a.id, seed: 1, epochsPlanned: 1, dataset: 'mnist:val' });
  });

  it('train --out DIR elsewhere is recorded in the workspace too; the same DIR again is refused without --overwrite', () => {
    const out = path.join(scratch, 'mine');
    const args = ['train', '--arch', 'mlp', '--hidden', '8', '--dataset', 'mnist:val', '--epochs', '1', '--quiet', '--out', out, '--workspace-dir', ws];
    expect(cli(...args).code).toBe(0);
    const linked = runsOf(ws).find((r) => r.kind === 'train' && record(r.dir).outDir === out)!;
    expect(linked).toMatchObject({ status: 'succeeded', label: 'train · mlp on mnist:val' });
    expect(linked.outputs).toEqual([path.join(out, 'model.onnx')]);
    const model = sha(path.join(out, 'model.onnx'));
    const again = cli(...args);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/--out .*mine exists; nothing was replaced: it holds an earlier run's files .*--overwrite/);
    expect(sha(path.join(out, 'model.onnx'))).toBe(model);
    expect(runsOf(ws).filter((r) => record(r.dir).outDir === out)).toHaveLength(1); // the refusal recorded nothing
    expect(cli(...args, '--overwrite', '--seed', '5').code).toBe(0);
    expect(sha(path.join(out, 'model.onnx'))).not.toBe(model);
  }, 300_000);

  it('align and curve take --workspace-dir and are listed, with their inputs hashed; runs --label renames; Delete takes them', async () => {
    const [ckA, ckB] = [a, b].map((r) => path.join(r.dir, 'checkpoints', 'epoch-001.safetensors'));
    const al = cli('align', ckA, ckB, '--method', 'weight', '--workspace-dir', ws, '--json');
    expect(al.code, al.err).toBe(0);
    const alJson = JSON.parse(al.out) as { outputs: string[]; runDir: string };
    expect(alJson.outputs).toEqual([path.join(alJson.runDir, 'epoch-001.aligned.safetensors')]);
    const cu = cli('curve', ckA, ckB, '--dataset', 'mnist:test', '--steps', '3', '--align', 'none,weight', '--workspace-dir', ws, '--json');
    expect(cu.code, cu.err).toBe(0);
    const cuJson = JSON.parse(cu.out) as { runDir: string; barriers: Record<string, number> };
    expect(JSON.parse(fs.readFileSync(path.join(cuJson.runDir, 'eval.json'), 'utf8')).barriers).toEqual(cuJson.barriers);

    const listed = runsOf(ws);
    const align = listed.find((r) => r.dir === alJson.runDir)!;
    const curve = listed.find((r) => r.dir === cuJson.runDir)!;
    expect(align).toMatchObject({ kind: 'align', status: 'succeeded', label: 'align · epoch-001 to epoch-001 (weight)', inputs: [ckA, ckB], outputs: alJson.outputs });
    expect(curve).toMatchObject({ kind: 'curve', status: 'succeeded', label: 'curve · epoch-001 ↔ epoch-001 on mnist:test' });
    expect(record(align.dir).inputs).toEqual([{ path: ckA, sha256: sha(ckA) }, { path: ckB, sha256: sha(ckB) }]);

    const renamed = cli('runs', '--label', align.id, 'seed 2 onto seed 1', '--workspace-dir', ws);
    expect(renamed).toMatchObject({ code: 0, out: `${align.id}: seed 2 onto seed 1\n` });
    expect(cli('runs', 'onto', 'seed', '--workspace-dir', ws).out).toContain(align.dir);
    expect(cli('runs', '--label', 'no-such-run', 'x', '--workspace-dir', ws)).toMatchObject({ code: 2, err: expect.stringMatching(/run\.json cannot be read/) });

    await deleteRun(ws, curve.dir);
    expect(runsOf(ws).map((r) => r.dir)).not.toContain(curve.dir);

    // align --out DIR: files that exist there are refused without --overwrite
    const out = path.join(scratch, 'aligned');
    expect(cli('align', ckA, ckB, '--out', out, '--workspace-dir', ws).code).toBe(0);
    const again = cli('align', ckA, ckB, '--out', out, '--workspace-dir', ws);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/epoch-001\.aligned\.safetensors, .*alignment\.json exist; nothing was replaced/);
    expect(cli('align', ckA, ckB, '--out', out, '--overwrite', '--workspace-dir', ws).code).toBe(0);
  }, 300_000);

  it('eval runs a merge of our checkpoints without --arch (its parents say it), and records an eval run', () => {
    const recipe = path.join(scratch, 'mean.yaml');
    fs.writeFileSync(recipe, `method: mean\nmodels: [${[a, b].map((r) => path.join(r.dir, 'checkpoints', 'epoch-001.safetensors')).join(', ')}]\n`);
    const merged = cli('merge', recipe, '--workspace-dir', ws);
    expect(merged.code, merged.err).toBe(0);
    // said once, on stdout; the count of a step without a size is not shown as "0 B/1 B"
    expect(`${merged.out}${merged.err}`.match(/wrote /g)).toHaveLength(1);
    expect(merged.err).not.toMatch(/0 B\/1 B/);
    const output = /^wrote (\S+) /m.exec(merged.out)![1];
    expect(path.dirname(output)).toBe(/run recorded in (\S+)/.exec(merged.out)![1]);

    const ev = cli('eval', output, '--dataset', 'mnist:test', '--workspace-dir', ws, '--json');
    expect(ev.code, ev.err).toBe(0);
    expect(ev.err).toMatch(/runs as mlp, the architecture of the models it was merged from/);
    const j = JSON.parse(ev.out) as { accuracy: number; n: number; runDir: string };
    expect(j.n).toBe(2000);
    const listed = runsOf(ws).find((r) => r.dir === j.runDir)!;
    expect(listed).toMatchObject({ kind: 'eval', status: 'succeeded', label: 'eval · merged on mnist:test', inputs: [output] });
    expect(record(j.runDir)).toMatchObject({ accuracy: j.accuracy, inputs: [{ path: output, sha256: sha(output) }] });
    // a bare file that says nothing of its architecture still asks for one, by name
    const bare = cli('eval', path.join(ROOT, 'tests/fixtures/merge/cnn_0.pt'), '--workspace-dir', ws);
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(/holds weights only and says no architecture; give --arch .* or --graph G\.onnx/);
  }, 300_000);
});
