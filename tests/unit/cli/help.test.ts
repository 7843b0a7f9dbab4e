// The CLI's help says what a newcomer needs: every method, every option, a working example; and serve's
// help and the README say the same about what the file browser reaches.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../../main/cli/commands';
import { commandHelp } from '../../../main/cli/help';
import { FILE_BROWSER_REACH } from '../../../main/cli/serve';
import { describeMethods } from '../../../main/engine/merge/methods';
import { checkRecipe, parseRecipe } from '../../../main/engine/merge/recipe';

const ROOT = path.resolve(__dirname, '../../..');
const help = (name: string) => commandHelp(commands.find((c) => c.name === name)!);

describe('CLI help', () => {
  it('merge --help lists every registered method, its options and an example recipe that is valid', () => {
    const text = help('merge');
    for (const m of describeMethods()) expect(text).toMatch(new RegExp(`^  ${m.id}\\s+${m.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    expect(text).toMatch(/^ {2}--json\s+\S/m);
    expect(text).toMatch(/^ {2}--workspace-dir DIR\s+\S/m);
    const example = /# mean\.yaml\n((?: {2}\S.*\n)+)/.exec(text)![1].replace(/^ {2}/gm, '');
    expect(checkRecipe(parseRecipe(example))).toMatchObject({ method: 'mean' });
    expect(text).toContain('merge-studio merge mean.yaml');
  });

  it('inspect --help says which files it reads, its option and examples', () => {
    const text = help('inspect');
    expect(text).toMatch(/\.safetensors.*\.pt.*\.onnx/s);
    expect(text).toMatch(/^ {2}--json\s+\S/m);
    expect(text).toContain('merge-studio inspect model.safetensors');
  });

  it('every command that lists its options documents each one, and only those', () => {
    for (const c of commands.filter((x) => x.optionHelp)) {
      expect(Object.keys(c.optionHelp!).sort(), c.name).toEqual(Object.keys(c.options).sort());
      for (const [name, h] of Object.entries(c.optionHelp!)) expect((Array.isArray(h) ? h[1] : h).length, `${c.name} --${name}`).toBeGreaterThan(10);
    }
  });

  it('serve --help and the README say the same about what the file browser reaches', () => {
    expect(help('serve')).toContain(FILE_BROWSER_REACH);
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ')).toContain(FILE_BROWSER_REACH.replace(/--allow DIR/, '`--allow DIR`'));
  });

  it('a merge the pre-flight refuses prints every reason, not just "cannot run"', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-blocked-'));
    const recipe = path.join(dir, 'ties.yaml');
    const fix = path.join(ROOT, 'tests/fixtures/merge');
    fs.writeFileSync(recipe, `method: ties\nmodels: [${fix}/cnn_0.pt, ${fix}/cnn_1.pt]\noutput: {path: out.safetensors}\n`);
    const merge = commands.find((c) => c.name === 'merge')!;
    await expect(merge.run({ json: true, 'workspace-dir': dir }, [recipe])).rejects.toThrow(/cannot run:\s*- TIES .* needs a base model: choose one in the Base model field/);
    expect(fs.existsSync(path.join(dir, 'out.safetensors'))).toBe(false);
  });

  it('every command\'s help ends with its example, a command line of that command (tests/integration/cli-help-examples.test.ts runs them)', () => {
    for (const c of commands) {
      const lines = commandHelp(c).split('\n');
      expect(lines.at(-1), c.name).toBe(`  npx merge-studio ${c.example}`);
      expect(c.example.split(' ')[0], c.name).toBe(c.name);
      // runnable from the repository root: what it names is committed, what it writes goes under out/
      for (const p of c.example.split(' ').filter((w) => /^(tests|docs)\//.test(w))) expect(fs.existsSync(path.join(ROOT, p)), `${c.name}: ${p}`).toBe(true);
    }
  });

  it('no help text carries an internal tag', () => {
    for (const c of commands) expect(commandHelp(c), c.name).not.toMatch(/seed \d{3}/);
  });
});
