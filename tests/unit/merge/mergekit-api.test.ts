// The Scheme screen's "Import mergekit config": the engine reads the file itself, only inside the folders
// the browser mode may use and only up to 1 MB, and makes the config's model paths absolute.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../main/engine/engine';
import { tempDir } from './model-files';

const FIX = path.resolve(__dirname, '../../fixtures/merge/mergekit');

describe('importMergekit over the API', () => {
  const work = tempDir('mk-api');
  process.env.MERGE_STUDIO_WORKSPACE = path.join(work, 'workspace');
  const engine = createEngine(() => {}, 'browser', { roots: [FIX, work] });

  it('imports a config file: its model paths become absolute, what is not carried is listed', async () => {
    const r = await engine.call('importMergekit', { path: path.join(FIX, 'ties.yml') });
    const recipe = r.recipe as { method: string; models: { path: string }[]; base: string };
    expect(recipe.method).toBe('ties');
    expect(recipe.models.map((m) => m.path)).toEqual(['llama_a.pt', 'llama_b.pt', 'llama_c.pt'].map((f) => path.join(FIX, f)));
    expect(recipe.base).toBe(path.join(FIX, 'llama_base.pt'));
    expect(r.dropped.some((d) => d.startsWith('parameters.int8_mask'))).toBe(true);
  });

  it('still takes pasted text; refuses both at once, files outside the allowed folders and files over 1 MB', async () => {
    const text = fs.readFileSync(path.join(FIX, 'slerp.yml'), 'utf8');
    expect(((await engine.call('importMergekit', { yaml: text })).recipe as { method: string }).method).toBe('slerp');
    await expect(engine.call('importMergekit', { yaml: text, path: path.join(FIX, 'slerp.yml') })).rejects.toThrow(/not both/);
    await expect(engine.call('importMergekit', { path: '/etc/hostname' })).rejects.toThrow(/outside the folders/);
    const big = path.join(work, 'big.yml');
    fs.writeFileSync(big, `merge_method: linear\n#${'x'.repeat(1 << 20)}\n`);
    await expect(engine.call('importMergekit', { path: big })).rejects.toThrow(/at most 1048576/);
  });
});
