// A command's --help text, the same shape for every command.
import type { CliCommand } from './common';

/** `merge-studio <command> --help`: usage, summary, the command's own text, its options, then an example that runs. */
export function commandHelp(command: CliCommand): string {
  const lines = [`Usage: merge-studio ${command.usage}`, '', command.summary];
  if (command.help) lines.push('', command.help.replace(/^\n/, ''));
  if (command.optionHelp) {
    const flags = Object.keys(command.options).map((name) => {
      const h = command.optionHelp![name] ?? '';
      return Array.isArray(h) ? [`--${name} ${h[0]}`, h[1]] as const : [`--${name}`, h] as const;
    });
    const width = Math.max(...flags.map(([f]) => f.length));
    lines.push('', 'Options:', ...flags.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`), `  ${'--help'.padEnd(width)}  show this help`);
  }
  lines.push('', 'Example (runs as written from the repository root):', `  npx merge-studio ${command.example}`);
  return lines.join('\n');
}
