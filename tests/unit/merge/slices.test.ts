// Recipes with slices (mergekit's frankenmerges and layer ranges): the output's layer stack is built slice by
// slice from Hugging Face model folders, and equals what mergekit writes (PyTorch reference:
// scripts/fixtures/make_mergekit_folder_fixtures.py) to 1e-6.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge/executor';
import { runPreflight } from '../../../main/engine/merge/preflight';
import { parseRecipe } from '../../../main/engine/merge/recipe';
import { isPreWeight, renumbered } from '../../../main/engine/merge/slice-plan';
import { readModel, tempDir } from './model-files';

const FOLDERS = path.resolve(__dirname, '../../fixtures/merge/mergekit/folders');

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

/** Runs `recipe` (its paths relative to the fixture folders) and compares every tensor with `<stem>_ref.pt`. */
async function sameAsMergekit(stem: string, recipe: string): Promise<string[]> {
  const out = path.join(tempDir(`slices-${stem}`), 'out.safetensors');
  await runMerge(parseRecipe(`${recipe}output: {path: ${out}}\n`), silentContext(), { baseDir: FOLDERS });
  const [ours, ref] = await Promise.all([readModel(out), readModel(path.join(FOLDERS, `${stem}_ref.pt`))]);
  expect([...ours.values.keys()].sort()).toEqual([...ref.values.keys()].sort());
  for (const [name, v] of ref.values) expect(maxDiff(ours.values.get(name)!, v), name).toBeLessThan(1e-6);
  return [...ours.values.keys()];
}

describe('slices', () => {
  it('names: the embedding comes before the stack, everything else after; a layer is renumbered in its name', () => {
    expect(isPreWeight('model.embed_tokens.weight')).toBe(true);
    expect(isPreWeight('transformer.wte.weight')).toBe(true);
    expect(isPreWeight('lm_head.weight')).toBe(false);
    expect(isPreWeight('model.norm.weight')).toBe(false);
    expect(renumbered('model.layers.7.mlp.up_proj.weight', 'model.layers', 2)).toBe('model.layers.2.mlp.up_proj.weight');
  });

  it('passthrough frankenmerge: layers 0–1 of a then 1–3 of b make 5 layers, b\'s o_proj and down_proj halved, in order', async () => {
    const names = await sameAsMergekit('passthrough', `method: passthrough
models: [a, b]
slices:
  - sources: [{model: 0, layers: [0, 2]}]
  - sources: [{model: 1, layers: [1, 4]}]
    layers:
      - {match: "*o_proj*", parameters: {scale: 0.5}}
      - {match: "*down_proj*", parameters: {scale: 0.5}}
`);
    // written in plan order: the embedding, the five layers, then the norm and the head
    expect(names[0]).toBe('model.embed_tokens.weight');
    expect(names.slice(-2)).toEqual(['model.norm.weight', 'lm_head.weight']);
    expect(names.filter((n) => n.includes('.layers.4.')).length).toBe(9);
  });

  it('a layer range [1, 3] writes two layers; weight gradients run over the slice', async () => {
    const names = await sameAsMergekit('linear_slice', `method: weighted
models: [a, b]
slices:
  - sources: [{model: 0, layers: [1, 3], weight: [0.2, 0.8]}, {model: 1, layers: [1, 3], weight: 0.5}]
`);
    expect(names.filter((n) => n.startsWith('model.layers.')).length).toBe(18);
  });

  it('slerp over two slices: a slice\'s rule gradient runs over its own layers; a slice\'s parameters come before the recipe\'s', async () => {
    // mergekit: slice 2's plain t (0.8) wins over the config's self_attn filter; slice 1 keeps the filter.
    await sameAsMergekit('slerp_slices', `method: slerp
models: [a, b]
parameters: {t: 0.3}
slices:
  - sources: [{model: 0, layers: [0, 2]}, {model: 1, layers: [0, 2]}]
    layers:
      - {match: "*self_attn*", parameters: {t: [0, 1]}, over: blocks}
  - sources: [{model: 0, layers: [2, 4]}, {model: 1, layers: [2, 4]}]
    parameters: {t: 0.8}
`);
  });

  it('TIES over slices naming the base, per-source density gradients and the L1 rescale', async () => {
    await sameAsMergekit('ties_slices', `method: ties
models: [a, b]
base: base
parameters: {rescale: l1, normalize: true, lambda: 1}
slices:
  - sources:
      - {model: base, layers: [1, 4]}
      - {model: 0, layers: [1, 4], weight: 1, parameters: {density: 0.5}}
      - {model: 1, layers: [1, 4], weight: 0.5, parameters: {density: [0.3, 0.9]}}
`);
  });

  it('the pre-flight says what a slice lacks: layers its model does not have, a base, one source for passthrough', async () => {
    const report = await runPreflight(parseRecipe(`method: passthrough
models: [a, b]
slices:
  - sources: [{model: 0, layers: [2, 6]}]
  - sources: [{model: 0, layers: [0, 1]}, {model: 1, layers: [0, 1]}]
output: {path: ${path.join(tempDir('slices-bad'), 'o.safetensors')}}
`), { baseDir: FOLDERS });
    expect(report.blocking).toContain('slice 1 takes layers 2–5 of a, which has 4 (model.layers.0–3)');
    expect(report.blocking.join('\n')).toMatch(/Passthrough takes at most 1 source per slice; slice 2 has 2/);
    const ties = await runPreflight(parseRecipe(`method: ties
models: [a]
base: base
slices:
  - sources: [{model: 0, layers: [0, 4]}]
output: {path: ${path.join(tempDir('slices-bad'), 'o.safetensors')}}
`), { baseDir: FOLDERS });
    expect(ties.blocking.join('\n')).toMatch(/slice 1 needs the base among its sources/);
  });

  it('refuses slices that take different numbers of layers, or name a model that is not listed', () => {
    expect(() => parseRecipe('method: weighted\nmodels: [a, b]\nslices:\n  - sources: [{model: 0, layers: [0, 2]}, {model: 1, layers: [0, 3]}]\noutput: {path: o.safetensors}\n')).toThrow(/every source of a slice takes as many layers/);
    expect(() => parseRecipe('method: weighted\nmodels: [a]\nslices:\n  - sources: [{model: 2, layers: [0, 2]}]\noutput: {path: o.safetensors}\n')).toThrow(/names model 2, but the recipe lists 1/);
  });
});
