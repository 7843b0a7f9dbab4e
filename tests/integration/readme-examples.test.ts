// The README's command lines run as written, and every `merge-studio …` the docs mention names a real
// command and real options: so a renamed option (--workspace → --workspace-dir) cannot leave a dead example.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commands } from '../../main/cli/commands';

const ROOT = path.resolve(__dirname, '../..');
const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

/** The command lines of the README's ```bash blocks that run merge-studio. */
function readmeCommands(): string[] {
  const blocks = [...text('README.md').matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l.startsWith('npx merge-studio '));
}

describe('README and docs examples', () => {
  it('every `merge-studio COMMAND --option` in the docs exists', () => {
    let seen = 0;
    for (const f of docs) {
      for (const m of text(f).matchAll(/merge-studio (\w[\w-]*)((?: [^`\n]*)?)/g)) {
        const [, name, rest] = m;
        const command = commands.find((c) => c.name === name);
        if (!command) continue; // prose like "merge-studio engine" does not count
        seen++;
        for (const flag of rest.match(/--[a-z][\w-]*/g) ?? []) {
          expect(Object.keys(command.options).concat('help'), `${f}: merge-studio ${name} ${flag}`).toContain(flag.slice(2));
        }
      }
    }
    expect(seen).toBeGreaterThanOrEqual(4);
  });

  it('no command takes an option npm claims for itself under npx', () => {
    // npm's own workspace flags are taken by npm exec even after the package name
    for (const c of commands) for (const o of ['workspace', 'workspaces', 'include-workspace-root']) expect(Object.keys(c.options), c.name).not.toContain(o);
  });

  const built = fs.existsSync(path.join(ROOT, 'out/main/cli.js'));
  it('the README\'s command lines run as written (through npx when the app is built)', () => {
    const lines = readmeCommands();
    expect(lines.length).toBeGreaterThanOrEqual(3);
    // out/examples is left as it is: the commands must run again beside what they left (nothing is replaced)
    let mergeRun: string | undefined;
    for (const line of lines) {
      const r = built
        ? spawnSync('sh', ['-c', line], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
        : spawnSync(process.execPath, ['--import', 'tsx', 'main/cli.ts', ...line.split(/\s+/).slice(2)], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, `${line}\n${r.stderr}`).toBe(0);
      if (line.includes(' merge ')) mergeRun = /run recorded in (\S+)/.exec(r.stdout)?.[1];
      if (line.includes(' runs ')) expect(r.stdout).toMatch(/mean-of-three\s+merge\s+succeeded/);
      if (line.includes(' inspect ')) expect(r.stdout).toMatch(/checked: sizes and checksums hold/);
    }
    // the recipe names no output: the merge is in its own run folder
    expect(fs.existsSync(path.join(path.resolve(ROOT, mergeRun!), 'merged.safetensors'))).toBe(true);
  }, 300_000);
});
