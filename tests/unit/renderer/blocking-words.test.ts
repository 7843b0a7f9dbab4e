// The Scheme screen words the "exists; nothing was replaced" reason with its own fields, not recipe keys or flags.
import { describe, expect, it } from 'vitest';
import { OutputExistsError, RECIPE_OVERWRITE_HINT } from '../../../main/engine/workspace/output-guard';
import { inScreenWords } from '../../../renderer/src/screens/scheme/blockingWords';

describe('blocking reasons on the Scheme screen', () => {
  it('names the Output file field and the Replace tick instead of output.overwrite and --overwrite', () => {
    const engine = new OutputExistsError(['/w/out.safetensors'], RECIPE_OVERWRITE_HINT).message;
    const shown = inScreenWords(engine);
    expect(shown).toMatch(/^\/w\/out\.safetensors exists; nothing was replaced: /);
    expect(shown).toContain('tick “Replace the existing file”');
    expect(shown).not.toMatch(/output\.overwrite|--overwrite|output\.path/);
  });

  it('leaves every other reason as it is', () => {
    const other = 'the model weights sum to 0 (1 + -1), and Weighted mean divides by their sum; change a weight';
    expect(inScreenWords(other)).toBe(other);
  });
});
