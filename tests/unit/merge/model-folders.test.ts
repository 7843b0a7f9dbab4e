// A recipe names Hugging Face model folders as it names files: they resolve to their weights, merge, and
// their weights files are the parents hashed.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge/executor';
import { runPreflight } from '../../../main/engine/merge/preflight';
import { parseRecipe, resolveRecipe } from '../../../main/engine/merge/recipe';
import { readModel, smallNet, tempDir, writeModel } from './model-files';

async function modelFolder(dir: string, seed: number, sharded: boolean): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), '{"model_type": "tiny"}');
  const tensors = smallNet(seed);
  if (!sharded) { await writeModel(path.join(dir, 'model.safetensors'), tensors); return; }
  await writeModel(path.join(dir, 'model-00001-of-00002.safetensors'), tensors.slice(0, 4));
  await writeModel(path.join(dir, 'model-00002-of-00002.safetensors'), tensors.slice(4));
  const weightMap = Object.fromEntries(tensors.map((t, i) => [t.name, `model-0000${i < 4 ? 1 : 2}-of-00002.safetensors`]));
  writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
}

describe('model folders in recipes', () => {
  it('resolves a folder to its weights file and keeps the folder', async () => {
    const dir = tempDir('mf-resolve');
    await modelFolder(path.join(dir, 'a'), 1, false);
    await modelFolder(path.join(dir, 'b'), 2, true);
    const r = await resolveRecipe(parseRecipe('method: mean\nmodels: [a, b]\noutput: {path: o.safetensors}\n'), dir);
    expect(r.models.map((m) => [m.path, m.folder])).toEqual([
      [path.join(dir, 'a', 'model.safetensors'), path.join(dir, 'a')],
      [path.join(dir, 'b', 'model.safetensors.index.json'), path.join(dir, 'b')],
    ]);
  });

  it('merges two folders (one sharded) into the same tensors as their files, and names the folders in the pre-flight', async () => {
    const dir = tempDir('mf-merge');
    await modelFolder(path.join(dir, 'a'), 1, false);
    await modelFolder(path.join(dir, 'b'), 2, true);
    await writeModel(path.join(dir, 'b.safetensors'), smallNet(2));
    const report = await runPreflight(parseRecipe('method: mean\nmodels: [a, b]\noutput: {path: o.safetensors}\n'), { baseDir: dir });
    expect(report.blocking).toEqual([]);
    expect(report.models.map((m) => m.name)).toEqual(['a', 'b']);
    const result = await runMerge(parseRecipe('method: mean\nmodels: [a, b]\noutput: {path: o.safetensors}\n'), silentContext(), { baseDir: dir });
    await runMerge(parseRecipe('method: mean\nmodels: [a/model.safetensors, b.safetensors]\noutput: {path: f.safetensors}\n'), silentContext(), { baseDir: dir });
    const [fromFolders, fromFiles] = await Promise.all([readModel(path.join(dir, 'o.safetensors')), readModel(path.join(dir, 'f.safetensors'))]);
    expect([...fromFolders.values.keys()]).toEqual([...fromFiles.values.keys()]);
    for (const [name, v] of fromFiles.values) expect(Array.from(fromFolders.values.get(name)!)).toEqual(Array.from(v));
    const sha = createHash('sha256').update(readFileSync(path.join(dir, 'a', 'model.safetensors'))).digest('hex');
    expect(result.parents[0]).toMatchObject({ path: path.join(dir, 'a', 'model.safetensors'), sha256: sha });
  });

  it('a Hugging Face id neither here nor in the cache says where it was looked for', async () => {
    const dir = tempDir('mf-hf');
    await modelFolder(path.join(dir, 'b'), 2, false);
    const report = await runPreflight(parseRecipe('method: mean\nmodels: [nobody/absent-model, b]\noutput: {path: o.safetensors}\n'), { baseDir: dir });
    expect(report.blocking.join('\n')).toMatch(/^nobody\/absent-model: not found as .*, nor in the Hugging Face cache \(.*\); download it first/m);
  });

  it('a folder with no weights is a pre-flight problem, not a crash', async () => {
    const dir = tempDir('mf-empty');
    mkdirSync(path.join(dir, 'empty'));
    await modelFolder(path.join(dir, 'b'), 2, false);
    const report = await runPreflight(parseRecipe('method: mean\nmodels: [empty, b]\noutput: {path: o.safetensors}\n'), { baseDir: dir });
    expect(report.blocking.join('\n')).toMatch(/empty: is a folder with no model\.safetensors/);
  });
});
