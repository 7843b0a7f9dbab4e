// merge-studio: the command-line tool. Each command lives in main/cli/<name>.ts; this file dispatches.
import { parseArgs } from 'node:util';
import pkg from '../package.json';
import { commands } from './cli/commands';
import { CliError, oneLine } from './cli/common';
import { speakFlags } from './cli/flag-words';
import { commandHelp } from './cli/help';
import { guardConsole, terminalSafe } from './cli/terminal-text';

function usage(): string {
  const lines = [
    `merge-studio ${pkg.version} — average and merge neural-network weights`,
    '',
    'Usage: merge-studio <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.usage.padEnd(38)} ${c.summary}`),
    '',
    'Options:',
    '  --help       show this help (or a command\'s: merge-studio <command> --help)',
    '  --version    print the version',
  ];
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // names from files reach the terminal through the commands' output: no control byte passes raw
  const restoreConsole = guardConsole();
  // the engine's advice names the app's fields; here it names the flags
  const restoreWords = speakFlags();
  try {
    return await dispatch(argv);
  } finally {
    restoreWords();
    restoreConsole();
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    console.log(usage());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    console.log(pkg.version);
    return 0;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    console.error(`merge-studio: unknown command '${first}'. Run merge-studio --help for the list.`);
    return 2;
  }
  try {
    const parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
    if (parsed.values.help) {
      console.log(commandHelp(command));
      return 0;
    }
    return await command.run(parsed.values as Record<string, string | boolean | string[] | undefined>, parsed.positionals);
  } catch (err) {
    // One line that keeps every reason (never just a headline whose reasons were on the next lines).
    const msg = oneLine(err instanceof Error ? err.message : String(err));
    const exitCode = err instanceof CliError ? err.exitCode : 2;
    console.error(terminalSafe(`merge-studio ${command.name}: ${msg}`));
    if (rest.includes('--json')) {
      // a script reading --json output gets the failure there too, with its reasons
      const blocking = (err as { blocking?: unknown }).blocking;
      console.log(JSON.stringify({ ok: false, error: msg, exitCode, ...(Array.isArray(blocking) ? { blocking } : {}) }, null, 2));
    }
    return exitCode;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err) => { console.error(err); process.exitCode = 1; },
  );
}
