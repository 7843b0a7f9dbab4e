// Recipes: parsing with zod, errors that name the key and the line, checkpoint expansion, YAML round trip.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecipe, epochOf, NEW_RUN_FOLDER, parseRecipe, recipeToYaml, RecipeError, resolveRecipe } from '../../../main/engine/merge/recipe';
import { tempDir } from './model-files';

const EXAMPLE = `method: weighted
models: [{path: a.pt, weight: 1}, {path: b.pt, weight: 2}]
base: base.pt
parameters: {}
layers:
  - {match: "classifier.*", from: 1}
  - {match: "features.*", parameters: {weight: [1, 0.5]}}
output: {path: merged.safetensors, dtype: f32}
`;

function errorOf(text: string): RecipeError {
  try {
    parseRecipe(text, 'r.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(RecipeError);
    return e as RecipeError;
  }
  throw new Error('expected the recipe to be refused');
}

describe('parseRecipe', () => {
  it('reads the example of the issue', () => {
    const r = parseRecipe(EXAMPLE);
    expect(r.method).toBe('weighted');
    expect(r.models).toEqual([{ path: 'a.pt', weight: 1 }, { path: 'b.pt', weight: 2 }]);
    expect(r.layers?.[0]).toEqual({ match: 'classifier.*', from: 1 });
    expect(r.layers?.[1].parameters).toEqual({ weight: [1, 0.5] });
    expect(r.output).toEqual({ path: 'merged.safetensors', dtype: 'f32' });
  });

  it('accepts plain strings as model paths', () => {
    expect(parseRecipe('method: mean\nmodels: [a.pt, b.pt]\noutput: {path: m.pt}\n').models).toEqual([{ path: 'a.pt' }, { path: 'b.pt' }]);
  });

  it('names an unknown key and its line', () => {
    const e = errorOf('method: mean\nmodels:\n  - path: a.pt\n    wieght: 2\n  - b.pt\noutput: {path: m.pt}\n');
    expect(e.issues).toEqual([{ key: 'models[0].wieght', line: 4, message: 'unknown key "wieght"' }]);
    expect(e.message).toBe('r.yaml line 4: models[0].wieght: unknown key "wieght"');
  });

  it('names a wrong type and its line', () => {
    const e = errorOf('method: mean\nmodels: [a.pt, b.pt]\noutput:\n  path: m.pt\n  dtype: f12\n');
    expect(e.issues[0].key).toBe('output.dtype');
    expect(e.issues[0].line).toBe(5);
    const w = errorOf('method: weighted\nmodels:\n  - {path: a.pt, weight: "two"}\n  - b.pt\noutput: {path: m.pt}\n');
    expect(w.issues[0]).toMatchObject({ key: 'models[0].weight', line: 3 });
    expect(w.issues[0].message).toContain('expected number, got "two"');
  });

  it('names an unknown top-level key, an unknown method and out-of-range parameters with lines', () => {
    expect(errorOf('method: mean\nmodles: [a.pt]\nmodels: [a.pt, b.pt]\noutput: {path: m.pt}\n').issues[0]).toMatchObject({ key: 'modles', line: 2 });
    const m = errorOf('models: [a.pt, b.pt]\nmethod: average\noutput: {path: m.pt}\n');
    expect(m.issues[0]).toMatchObject({ key: 'method', line: 2 });
    expect(m.issues[0].message).toContain('known methods: mean, weighted');
    const p = errorOf('method: ties\nmodels: [a.pt, b.pt]\nbase: c.pt\nparameters:\n  density: 1.5\noutput: {path: m.pt}\n');
    expect(p.issues[0]).toMatchObject({ key: 'parameters.density', line: 5 });
    const q = errorOf('method: ties\nmodels: [a.pt, b.pt]\nbase: c.pt\nparameters: {t: 0.5}\noutput: {path: m.pt}\n');
    expect(q.issues[0]).toMatchObject({ key: 'parameters.t', line: 4, message: 'unknown key "t"' });
    const g = errorOf('method: ties\nmodels: [a.pt, b.pt]\nbase: c.pt\nlayers:\n  - match: "x.*"\n    parameters: {density: [0.5, 2]}\noutput: {path: m.pt}\n');
    expect(g.issues[0]).toMatchObject({ key: 'layers[0].parameters.density', line: 6 });
  });

  it('refuses a YAML syntax error with its line, a wrong output, and models with checkpoints', () => {
    expect(errorOf('method: mean\nmodels: [a.pt,\noutput: x\n').issues[0].line).toBeGreaterThanOrEqual(2);
    expect(errorOf('method: mean\nmodels: [a.pt, b.pt]\noutput: {overwrite: yes please}\n').issues[0]).toMatchObject({ key: 'output.overwrite', line: 3 });
    expect(errorOf('method: mean\nmodels: [a.pt]\ncheckpoints: {dir: c, last: 2}\noutput: {path: m.pt}\n').issues[0]).toMatchObject({ key: 'checkpoints', line: 3 });
    expect(errorOf('method: mean\ncheckpoints: {dir: c, last: 2, from_epoch: 1}\noutput: {path: m.pt}\n').issues[0].key).toBe('checkpoints.last');
  });

  it('checks a recipe object from the GUI the same way, naming keys', () => {
    expect(checkRecipe({ method: 'mean', models: ['a.pt', 'b.pt'], output: { path: 'm.pt' } }).models).toEqual([{ path: 'a.pt' }, { path: 'b.pt' }]);
    try {
      checkRecipe({ method: 'ties', models: [{ path: 'a.pt', wieght: 1 }], base: 'b.pt', parameters: { density: 2 }, output: { path: 'm.pt' } }, 'Scheme screen');
      throw new Error('expected a RecipeError');
    } catch (e) {
      expect((e as RecipeError).issues).toEqual([{ key: 'models[0].wieght', line: undefined, message: 'unknown key "wieght"' }]);
      expect((e as Error).message).toBe('Scheme screen: models[0].wieght: unknown key "wieght"');
    }
    expect(() => checkRecipe({ method: 'ties', models: ['a.pt'], base: 'b.pt', parameters: { density: 2 }, output: { path: 'm.pt' } })).toThrow(/parameters\.density: Too big/);
  });

  it('round-trips through recipeToYaml', () => {
    const r = parseRecipe(EXAMPLE);
    expect(parseRecipe(recipeToYaml(r))).toEqual(r);
  });
});

describe('switches, choices and per-model parameters', () => {
  it('takes normalize: false and rescale choices; a wrong type names what it expected', () => {
    expect(parseRecipe('method: ties\nmodels: [a.pt]\nbase: b.pt\nparameters: {density: 0.3, normalize: false}\noutput: {path: o.safetensors}\n').parameters).toEqual({ density: 0.3, normalize: false });
    expect(parseRecipe('method: dare_ties\nmodels: [a.pt]\nbase: b.pt\nparameters: {rescale: inverse}\noutput: {path: o.safetensors}\n').parameters).toEqual({ rescale: 'inverse' });
    expect(() => parseRecipe('method: ties\nmodels: [a.pt]\nbase: b.pt\nparameters:\n  normalize: 0.5\noutput: {path: o.safetensors}\n')).toThrow(/line 5: parameters\.normalize: expected boolean, got 0\.5/);
    expect(() => parseRecipe('method: dare_ties\nmodels: [a.pt]\nbase: b.pt\nparameters: {rescale: l2}\noutput: {path: o.safetensors}\n')).toThrow(/parameters\.rescale: .*"l1"\|"inverse"\|"none"|parameters\.rescale: .*l1.*inverse.*none/);
  });
  it('per-model parameters: only the method\'s per-model ones, checked like the others, one entry per model in a rule', () => {
    expect(parseRecipe('method: ties\nmodels: [{path: a.pt, parameters: {density: 0.2}}]\nbase: b.pt\noutput: {path: o.safetensors}\n').models).toEqual([{ path: 'a.pt', parameters: { density: 0.2 } }]);
    expect(() => parseRecipe('method: ties\nmodels: [{path: a.pt, parameters: {lambda: 0.2}}]\nbase: b.pt\noutput: {path: o.safetensors}\n')).toThrow(/models\[0\]\.parameters\.lambda: ties does not take lambda per model; its per-model parameters are density/);
    expect(() => parseRecipe('method: ties\nmodels: [{path: a.pt, parameters: {density: 3}}]\nbase: b.pt\noutput: {path: o.safetensors}\n')).toThrow(/models\[0\]\.parameters\.density/);
    expect(() => parseRecipe('method: ties\nmodels: [a.pt, b.pt]\nbase: c.pt\nlayers:\n  - {match: "*", model_parameters: [{density: 0.1}]}\noutput: {path: o.safetensors}\n')).toThrow(/model_parameters: gives 1 entries for 2 models/);
    expect(() => parseRecipe('method: della\nmodels: [a.pt]\nbase: c.pt\nlayers:\n  - {match: "*", parameters: {density: 0.95}}\noutput: {path: o.safetensors}\n')).toThrow(/layers\[0\]\.parameters\.density: density ± epsilon must lie inside \(0, 1\)/);
  });
});

describe('checkpoints and paths', () => {
  it('reads epoch numbers from file names', () => {
    expect(epochOf('epoch-003.safetensors')).toBe(3);
    expect(epochOf('epoch_3.pt')).toBe(3);
    expect(epochOf('model-ckpt12.pth')).toBe(12);
    expect(epochOf('smallcnn.7.pt')).toBe(7);
    expect(epochOf('final.pt')).toBeUndefined();
  });

  it('expands a checkpoint folder in epoch order, by range or the last k, against the recipe folder', async () => {
    const dir = tempDir('ckpt');
    const ck = path.join(dir, 'ckpts');
    mkdirSync(ck);
    for (const f of ['epoch-010.safetensors', 'epoch-2.safetensors', 'epoch-009.safetensors', 'epoch-1.safetensors', 'notes.txt', 'final.safetensors']) writeFileSync(path.join(ck, f), '');
    const range = await resolveRecipe(parseRecipe('method: ema\ncheckpoints: {dir: ckpts, from_epoch: 2, to_epoch: 10}\noutput: {path: out.safetensors}\n'), dir);
    expect(range.models.map((m) => path.basename(m.path))).toEqual(['epoch-2.safetensors', 'epoch-009.safetensors', 'epoch-010.safetensors']);
    expect(range.output.path).toBe(path.join(dir, 'out.safetensors'));
    const last = await resolveRecipe(parseRecipe('method: mean\ncheckpoints: {dir: ckpts, last: 2}\noutput: {path: out.safetensors}\n'), dir);
    expect(last.models.map((m) => path.basename(m.path))).toEqual(['epoch-009.safetensors', 'epoch-010.safetensors']);
    await expect(resolveRecipe(parseRecipe('method: mean\ncheckpoints: {dir: ckpts, from_epoch: 50}\noutput: {path: o.pt}\n'), dir)).rejects.toThrow(/no checkpoint files/);
    writeFileSync(path.join(ck, 'epoch_2.pt'), '');
    await expect(resolveRecipe(parseRecipe('method: mean\ncheckpoints: {dir: ckpts, last: 2}\noutput: {path: o.pt}\n'), dir)).rejects.toThrow(/two checkpoints for epoch 2/);
  });

  it('resolves model, base and output paths against the recipe folder and defaults weights to 1', async () => {
    const r = await resolveRecipe(parseRecipe(EXAMPLE), '/data/run');
    expect(r.models).toEqual([{ path: '/data/run/a.pt', weight: 1 }, { path: '/data/run/b.pt', weight: 2 }]);
    expect(r.base).toBe('/data/run/base.pt');
    const abs = await resolveRecipe(parseRecipe('method: mean\nmodels: [/x/a.pt, b.pt]\noutput: {path: m.pt}\n'), '/data');
    expect(abs.models.map((m) => m.path)).toEqual(['/x/a.pt', '/data/b.pt']);
    expect(abs.output).toEqual({ path: '/data/m.pt', overwrite: false, inRunFolder: false });
  });

  it('without an output path writes into the run\'s folder: merged.safetensors, or merged.onnx for ONNX models', async () => {
    const recipe = parseRecipe('method: mean\nmodels: [a.pt, b.pt]\n');
    expect(recipe.output).toBeUndefined();
    expect((await resolveRecipe(recipe, '/data', { runDir: '/ws/runs/r1' })).output).toEqual({ path: '/ws/runs/r1/merged.safetensors', overwrite: false, inRunFolder: true });
    const onnx = await resolveRecipe(parseRecipe('method: mean\nmodels: [a.onnx, b.onnx]\noutput: {dtype: f16, overwrite: true}\n'), '/data');
    expect(onnx.output).toEqual({ path: path.join(NEW_RUN_FOLDER, 'merged.onnx'), dtype: 'f16', overwrite: true, inRunFolder: true });
  });
});
