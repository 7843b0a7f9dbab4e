// mergekit configs with slices and passthrough, over Hugging Face model folders: imported, run, and equal to
// what mergekit writes (PyTorch reference: scripts/fixtures/make_mergekit_folder_fixtures.py) to 1e-6; exported
// back to a config that imports to the same recipe.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { silentContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge/executor';
import { exportMergekit, importMergekit } from '../../../main/engine/merge/mergekit';
import { readModel, tempDir } from './model-files';

const FOLDERS = path.resolve(__dirname, '../../fixtures/merge/mergekit/folders');
const CONFIGS = ['passthrough', 'linear_slice', 'slerp_slices', 'ties_slices'];
const text = (stem: string) => readFileSync(path.join(FOLDERS, `${stem}.yml`), 'utf8');

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

describe('mergekit slices configs, imported and run on model folders: mergekit\'s tensors', () => {
  for (const stem of CONFIGS) {
    it(`${stem}.yml`, async () => {
      const out = path.join(tempDir(`mks-${stem}`), 'out.safetensors');
      const { recipe, notCarried } = importMergekit(text(stem), { output: out });
      expect(notCarried).toEqual([]);
      await runMerge(recipe, silentContext(), { baseDir: FOLDERS });
      const [ours, ref] = await Promise.all([readModel(out), readModel(path.join(FOLDERS, `${stem}_ref.pt`))]);
      expect([...ours.values.keys()].sort()).toEqual([...ref.values.keys()].sort());
      for (const [name, v] of ref.values) expect(maxDiff(ours.values.get(name)!, v), name).toBeLessThan(1e-6);
    });
  }

  it('the recipe of a frankenmerge: the layer ranges, the filtered scale in its slice, scale 1 elsewhere', () => {
    const { recipe } = importMergekit(text('passthrough'), { output: 'o.safetensors' });
    expect(recipe).toMatchObject({
      method: 'passthrough',
      models: [{ path: 'a' }, { path: 'b' }],
      parameters: { scale: 1 },
      slices: [
        { sources: [{ model: 0, layers: [0, 2] }] },
        { sources: [{ model: 1, layers: [1, 4] }], layers: [{ match: '*o_proj*', parameters: { scale: 0.5 } }, { match: '*down_proj*', parameters: { scale: 0.5 } }] },
      ],
    });
  });

  it('gradients of a slice\'s sources stay on them (they run over the slice\'s layers); the base is a source', () => {
    expect(importMergekit(text('linear_slice'), { output: 'o.safetensors' }).recipe.slices).toEqual([
      { sources: [{ model: 0, layers: [1, 3], weight: [0.2, 0.8] }, { model: 1, layers: [1, 3], weight: 0.5 }] },
    ]);
    const ties = importMergekit(text('ties_slices'), { output: 'o.safetensors' }).recipe;
    expect(ties.base).toBe('base');
    expect(ties.slices![0].sources[0]).toEqual({ model: 'base', layers: [1, 4] });
    expect(ties.slices![0].sources[2]).toEqual({ model: 1, layers: [1, 4], weight: 0.5, parameters: { density: [0.3, 0.9] } });
  });

  it('a frankenmerge\'s base_model is the donor of config.json and the tokenizer: kept as the base, merged by nobody', async () => {
    const text2 = text('passthrough').replace('merge_method: passthrough', 'merge_method: passthrough\nbase_model: base');
    const { recipe, notCarried } = importMergekit(text2, { output: path.join(tempDir('mks-donor'), 'o.safetensors') });
    expect(notCarried).toEqual([]);
    expect(recipe.base).toBe('base');
    await runMerge(recipe, silentContext(), { baseDir: FOLDERS });
    const [ours, ref] = await Promise.all([readModel(recipe.output!.path!), readModel(path.join(FOLDERS, 'passthrough_ref.pt'))]);
    for (const [name, v] of ref.values) expect(maxDiff(ours.values.get(name)!, v), name).toBeLessThan(1e-6);
    expect(importMergekit(exportMergekit(recipe).yaml, { output: recipe.output!.path }).recipe).toEqual(recipe);
  });
});

describe('export of recipes with slices', () => {
  for (const stem of CONFIGS) {
    it(`${stem}.yml: import(export(recipe)) is the recipe`, () => {
      const first = importMergekit(text(stem), { output: 'out.safetensors' }).recipe;
      const exported = exportMergekit(first);
      expect(exported.notCarried.filter((n) => !n.startsWith('output path'))).toEqual([]);
      const cfg = parse(exported.yaml) as { slices: { sources: { model: string; layer_range: number[] }[] }[] };
      const orig = parse(text(stem)) as typeof cfg;
      expect(cfg.slices.map((s) => s.sources.map((x) => [x.model, x.layer_range]).sort())).toEqual(orig.slices.map((s) => s.sources.map((x) => [x.model, x.layer_range]).sort()));
      expect(importMergekit(exported.yaml, { output: 'out.safetensors' }).recipe).toEqual(first);
    });
  }

  it('writes the passthrough frankenmerge as mergekit\'s slices, the scale conditions in the second slice', () => {
    const cfg = parse(exportMergekit(importMergekit(text('passthrough'), { output: 'o.safetensors' }).recipe).yaml) as Record<string, unknown>;
    expect(cfg).toEqual({
      merge_method: 'passthrough',
      slices: [
        { sources: [{ model: 'a', layer_range: [0, 2] }], parameters: { scale: 1 } },
        { sources: [{ model: 'b', layer_range: [1, 4] }], parameters: { scale: [{ filter: 'o_proj', value: 0.5 }, { filter: 'down_proj', value: 0.5 }, { value: 1 }] } },
      ],
      dtype: 'float32',
    });
  });
});
