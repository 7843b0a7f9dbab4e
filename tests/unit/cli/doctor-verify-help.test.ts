// doctor and verify: each --help lists every option and ends with an example that runs from the
// repository root, exit code 0, and records its run in the example workspace (`runs --json` lists it).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { commands } from '../../../main/cli/commands';
import { commandHelp } from '../../../main/cli/help';
import { runRecord, runsListed } from './runs-listed';

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
    expect(parsed.values['workspace-dir']).toBe('out/examples/workspace');
    const cwd = process.cwd();
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((m: string) => { lines.push(m); });
    process.chdir(ROOT);
    try {
      expect(await command.run(parsed.values as never, parsed.positionals)).toBe(0);
    } finally {
      process.chdir(cwd);
      log.mockRestore();
    }
    const dir = /^run recorded in (.+)$/m.exec(lines.join('\n'))?.[1];
    expect(dir, lines.join('\n')).toBeDefined();
    const listed = (await runsListed(path.join(ROOT, 'out/examples/workspace'))).find((r) => r.dir === dir);
    expect(listed).toMatchObject({ kind: name, label: expect.stringMatching(new RegExp(`^${name} · `)), status: 'succeeded' });
    const inputs = runRecord(dir!).inputs;
    expect(inputs.length).toBeGreaterThanOrEqual(3);
    for (const i of inputs) expect(i.sha256, i.path).toMatch(/^[0-9a-f]{64}$/);
  });
});
