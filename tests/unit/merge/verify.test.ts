// `merge-studio verify`: a merged file's parents found by the SHA-256 it records, its recipe re-run (seeds
// included) and every tensor compared bit for bit; a parent missing or changed, or a tensor tampered with,
// is named and the exit code is 1. Each verify is a run of the workspace: its label, inputs by SHA-256 and
// outcome (identical, different, or failed with its error) in run.json, listed by `runs --json`.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyCommand } from '../../../main/cli/verify';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import { silentContext } from '../../../main/engine/job-context';
import { METADATA_KEYS, runMerge } from '../../../main/engine/merge/executor';
import { parseRecipe, resolveRecipe } from '../../../main/engine/merge/recipe';
import { verifyOutput } from '../../../main/engine/merge/verify';
import { runRecord, runsListed, sha256Of } from '../cli/runs-listed';
import { smallNet, tempDir, writeModel } from './model-files';

const PARENTS = ['m1.safetensors', 'm2.safetensors', 'm3.safetensors', 'base.safetensors'];
let parentsDir: string;
let outDir: string;
let output: string;

/** The CLI command in process: its exit code, what it printed (--json) and the workspace it recorded its run in. */
async function cli(args: string[], values: Record<string, unknown>): Promise<{ code: number; json: Record<string, unknown>; workspace: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((m: string) => { lines.push(m); });
  const workspace = tempDir('verify-ws');
  try {
    const code = await verifyCommand.run({ json: true, 'workspace-dir': workspace, ...values } as never, args);
    return { code, json: JSON.parse(lines.join('\n')), workspace };
  } finally {
    spy.mockRestore();
  }
}

/** A copy of the parents in a fresh folder, without `drop`. */
function copyParents(drop?: string): string {
  const d = tempDir('verify-copy');
  for (const f of PARENTS) if (f !== drop) copyFileSync(path.join(parentsDir, f), path.join(d, f));
  return d;
}

beforeAll(async () => {
  parentsDir = tempDir('verify-parents');
  outDir = tempDir('verify-out');
  for (const s of [1, 2, 3]) await writeModel(path.join(parentsDir, `m${s}.safetensors`), smallNet(s));
  await writeModel(path.join(parentsDir, 'base.safetensors'), smallNet(9));
  output = path.join(outDir, 'dare.safetensors');
  // DARE-TIES drops at random: a re-run gives the same bytes only with the recorded seed.
  const recipe = parseRecipe(`method: dare_ties\nmodels: [m1.safetensors, m2.safetensors, m3.safetensors]\nbase: base.safetensors\nparameters: {density: 0.5, seed: 7}\noutput: {path: ${output}}\n`);
  await runMerge(await resolveRecipe(recipe, parentsDir), silentContext());
});

describe('verify', () => {
  it('records the seeds and the parameters with their defaults', async () => {
    const src = await openModel(output);
    const rerun = JSON.parse(src.metadata[METADATA_KEYS.rerun]);
    await src.close();
    expect(rerun.seeds).toEqual({ merge: 7 });
    expect(rerun.parameters).toMatchObject({ density: 0.5, seed: 7 });
    expect(Object.keys(rerun.parameters).length).toBeGreaterThan(2); // the defaults too
  });

  it('finds the parents by SHA-256 in a folder given, re-runs the recipe: identical, exit 0', async () => {
    const r = await verifyOutput(output, silentContext(), { search: [parentsDir], workspace: tempDir('verify-ws') });
    expect(r.verdict).toBe('verified: identical');
    expect(r.identical).toBe(true);
    expect(r.parents.map((p) => [p.role, p.status, p.path])).toEqual([
      ['model', 'found', path.join(parentsDir, 'm1.safetensors')], ['model', 'found', path.join(parentsDir, 'm2.safetensors')],
      ['model', 'found', path.join(parentsDir, 'm3.safetensors')], ['base', 'found', path.join(parentsDir, 'base.safetensors')],
    ]);
    expect(r.compared).toBe(smallNet(1).length);
    // found under a subfolder of the one given, too
    const { code, json, workspace } = await cli([output], { search: [path.dirname(parentsDir)] });
    expect(code).toBe(0);
    expect(json.verdict).toBe('verified: identical');
    // recorded as a run: listed by `runs --json` with its label, the output and the parents by SHA-256
    const [listed, ...others] = await runsListed(workspace);
    expect(others).toEqual([]);
    expect(listed).toMatchObject({ kind: 'verify', label: 'verify · dare.safetensors', status: 'succeeded', dir: json.runDir });
    const rec = runRecord(listed.dir);
    expect(rec).toMatchObject({ result: 'identical', identical: true, verdict: 'verified: identical', compared: smallNet(1).length });
    expect(rec.inputs.map((i) => [i.role, i.path, i.sha256])).toEqual([
      ['output', output, sha256Of(output)],
      ...['m1', 'm2', 'm3', 'base'].map((n) => [n === 'base' ? 'base' : 'model', path.join(parentsDir, `${n}.safetensors`), sha256Of(path.join(parentsDir, `${n}.safetensors`))]),
    ]);
    expect(JSON.parse(readFileSync(path.join(listed.dir, 'verify.json'), 'utf8'))).toMatchObject({ identical: true, compared: smallNet(1).length });
  });

  it('names a parent whose file changed since the merge, and exits 1', async () => {
    const d = copyParents();
    await writeModel(path.join(d, 'm2.safetensors'), smallNet(22));
    const { code, json } = await cli([output], { search: [d] });
    expect(code).toBe(1);
    expect(json.identical).toBe(false);
    expect(json.verdict).toMatch(/parent m2\.safetensors \(model\) has changed/);
    expect((json.parents as { name: string; status: string }[]).map((p) => p.status)).toEqual(['found', 'changed', 'found', 'found']);
    const rec = runRecord(json.runDir as string);
    expect(rec).toMatchObject({ status: 'succeeded', result: 'parents missing or changed', identical: false });
    // the changed file by the SHA-256 it has now, not the one the output records
    const changed = rec.inputs.find((i) => i.path === path.join(d, 'm2.safetensors'))!;
    expect(changed.sha256).toBe(sha256Of(path.join(d, 'm2.safetensors')));
  });

  it('names a parent that is missing, and exits 1', async () => {
    const d = copyParents('base.safetensors');
    const { code, json } = await cli([output], { search: [d] });
    expect(code).toBe(1);
    expect(json.verdict).toMatch(/parent base\.safetensors \(base, SHA-256 [0-9a-f]{12}…, \d+ bytes\) is missing/);
    expect(json.verdict).not.toMatch(/m1|m2|m3/);
  });

  it('names a tensor of the output that was tampered with, and exits 1', async () => {
    const src = await openModel(output);
    const tampered = path.join(tempDir('verify-tampered'), 'dare.safetensors');
    const session = await writerFor(tampered).begin(tampered, src.tensors.map(({ name, dtype, shape }) => ({ name, dtype, shape })), { metadata: src.metadata });
    for (const t of src.tensors) {
      const bytes = (await t.read()).slice();
      if (t.name === 'features.3.weight') bytes[5] ^= 1; // one bit of one value
      await session.writeTensor(t.name, bytes);
    }
    await session.finish();
    await src.close();
    const { code, json, workspace } = await cli([tampered], { search: [parentsDir] });
    expect(code).toBe(1);
    expect(json.differing).toEqual([{ name: 'features.3.weight', why: expect.stringMatching(/^1 of 1152 bytes differ \(first at byte 5/) }]);
    expect(json.verdict).toMatch(/1 tensor differs .*: features\.3\.weight$/);
    const [listed] = await runsListed(workspace);
    expect(listed).toMatchObject({ label: 'verify · dare.safetensors', status: 'succeeded', title: 'Verify dare.safetensors: different' });
    expect(runRecord(listed.dir)).toMatchObject({ result: 'different', identical: false, differing: 1 });
  });

  it('refuses a file that records no recipe with exit code 2, and records the run as failed with that error', async () => {
    const workspace = tempDir('verify-ws');
    const file = path.join(parentsDir, 'm1.safetensors');
    await expect(verifyCommand.run({ search: [parentsDir], 'workspace-dir': workspace }, [file])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/records no recipe/) });
    const [listed, ...others] = await runsListed(workspace);
    expect(others).toEqual([]);
    expect(listed).toMatchObject({ kind: 'verify', label: 'verify · m1.safetensors', status: 'failed', error: expect.stringMatching(/m1\.safetensors: records no recipe/) });
    expect(runRecord(listed.dir).inputs).toEqual([{ path: file, role: 'output' }]);
    expect(existsSync(path.join(listed.dir, 'verify.json'))).toBe(false);
  });
});
