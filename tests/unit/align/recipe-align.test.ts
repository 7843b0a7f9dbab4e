// A recipe's `align:` key: the other models are weight-matched to the first before the merge; the output is the
// mean of A and π(B), alignment.json lands in the run folder, the parents' hashes are the files', and
// align.exclude keeps tensors from the first model. The align CLI writes the permuted models in their format.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { derivePermutationSpec, permuteState, weightMatching } from '../../../main/engine/align';
import { silentContext } from '../../../main/engine/job-context';
import { runAlign } from '../../../main/engine/jobs/kinds/align';
import { parseRecipe, runMerge } from '../../../main/engine/merge';
import { lerpStates, loadNet, readStateFile } from '../../../main/engine/models';

const DIR = path.join(__dirname, '../../fixtures/align');
const A = path.join(DIR, 'vgg_a.safetensors'), B = path.join(DIR, 'vgg_b.safetensors');
const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), `ms-${p}-`));

describe('recipes with align:', () => {
  it('merge the aligned models: mean(A, π(B)), alignment.json in the run folder, parents hashed from the files', async () => {
    const dir = tmp('recipe-align'), ws = tmp('ws');
    const out = path.join(dir, 'merged.safetensors');
    const recipe = parseRecipe(`method: mean\nmodels: [${A}, ${B}]\nalign: {method: weight, exclude: [classifier.6.bias]}\noutput: {path: ${out}}\n`);
    const r = await runMerge(recipe, silentContext(), { workspace: ws });
    const a = await loadNet(A), b = await loadNet(B);
    const spec = await derivePermutationSpec(a);
    const m = await weightMatching(spec, a.state, b.state);
    const want = lerpStates(a.state, permuteState(b.state, spec, m.perms), 0.5);
    const got = await readStateFile(out, a.graph.tensors, 'vgg');
    for (const [name, t] of want) {
      if (t.data instanceof BigInt64Array) continue;
      const g = got.get(name)!.data as Float32Array, ref = name === 'classifier.6.bias' ? a.state.get(name)!.data as Float32Array : t.data;
      for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - ref[i])).toBeLessThan(1e-6);
    }
    const report = JSON.parse(readFileSync(path.join(r.runDir!, 'alignment.json'), 'utf8'));
    expect(report.method).toBe('weight');
    expect(report.models[0].perms).toEqual(Object.fromEntries(Object.entries(m.perms).map(([k, v]) => [k, [...v]])));
    expect(r.parents[1].sha256).toBe(createHash('sha256').update(readFileSync(B)).digest('hex'));
  });

  it('refuses an align: block it cannot run, naming the key', () => {
    expect(() => parseRecipe(`method: mean\nmodels: [a.pt, b.pt]\nalign: {method: activation}\noutput: {path: o.pt}\n`)).toThrow(/line 3: align.dataset: activation matching needs a dataset/);
    expect(() => parseRecipe(`method: mean\nmodels: [a.pt, b.pt]\nalign: {method: sideways}\noutput: {path: o.pt}\n`)).toThrow(/align.method/);
    expect(() => parseRecipe(`method: mean\ncheckpoints: {dir: x}\nalign: {method: weight}\noutput: {path: o.pt}\n`)).toThrow(/share a basin/);
  });

  it('align writes the permuted models in their own format and alignment.json', async () => {
    const dir = tmp('align-cli');
    const r = await runAlign({ reference: A, others: [B], method: 'weight', outDir: dir }, silentContext());
    expect(r.outputs).toEqual([path.join(dir, 'vgg_b.aligned.safetensors')]);
    expect(existsSync(path.join(dir, 'alignment.json'))).toBe(true);
    const a = await loadNet(A), b = await loadNet(B), written = await loadNet(r.outputs[0]);
    const spec = await derivePermutationSpec(a);
    const p = permuteState(b.state, spec, Object.fromEntries(Object.entries(r.report.models[0].perms).map(([k, v]) => [k, Int32Array.from(v)])));
    for (const [name, t] of p) expect(written.state.get(name)!.data).toEqual(t.data);
  });
});
