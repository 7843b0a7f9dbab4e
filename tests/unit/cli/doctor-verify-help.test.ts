// doctor and verify: each --help lists every option and ends with an example that runs from the
// repository root, exit code 0.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { commands } from '../../../main/cli/commands';
import { commandHelp } from '../../../main/cli/help';

const ROOT = path.resolve(__dirname, '../../..');

describe.each(['doctor', 'verify'])('%s --help', (name) => {
  const command = commands.find((c) => c.name === name)!;
  const help = commandHelp(command);

  it('documents every option', () => {
    for (const o of Object.keys(command.options)) expect(help).toMatch(new RegExp(`^ {2}--${o}\\b`, 'm'));
  });

  it('ends with an example that runs from the repository root', async () => {
    const last = help.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(new RegExp(`^ {2}npx merge-studio ${name} `));
    const args = last.replace(/^ {2}npx merge-studio \S+ /, '').split(/\s+/);
    const parsed = parseArgs({ args, options: command.options, allowPositionals: true, strict: true });
    const cwd = process.cwd();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    process.chdir(ROOT);
    try {
      expect(await command.run(parsed.values as never, parsed.positionals)).toBe(0);
    } finally {
      process.chdir(cwd);
      log.mockRestore();
    }
  });
});
