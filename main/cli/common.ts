// Shared pieces of the CLI commands: the command shape, errors with exit codes, paths of the build.
import path from 'node:path';

export interface CliCommand {
  name: string;
  usage: string;
  summary: string;
  help?: string;
  /**
   * One line per option, printed as the help's Options section: the key is the option's name without --,
   * the value its text, or [ARG, text] for an option that takes a value.
   */
  optionHelp?: Record<string, string | [arg: string, text: string]>;
  /**
   * The arguments of a command line that runs as written from the repository root (committed fixtures, the
   * out/examples/workspace workspace, a few seconds): the help ends with it as `npx merge-studio EXAMPLE`,
   * and tests/integration/cli-help-examples.test.ts runs every one.
   */
  example: string;
  options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number>;
}

/** An error the CLI prints as one line, exiting with `exitCode` (2: bad input or refused file). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 2) { super(message); this.name = 'CliError'; }
}

/**
 * A message of several lines (a headline ending in ":" and "- reason" lines, as MergeBlockedError has) as
 * one line that keeps every reason: "the merge cannot run: reason one; reason two".
 */
export function oneLine(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length <= 1) return lines[0] ?? '';
  const [head, ...rest] = lines;
  const items = rest.map((l) => l.replace(/^[-•*]\s*/, ''));
  return `${head}${head.endsWith(':') ? ' ' : '; '}${items.join('; ')}`;
}

/** The built engine host and renderer, next to the built CLI (out/main/cli.js). */
export const buildPaths = {
  host: path.join(__dirname, 'host.js'),
  renderer: path.join(__dirname, '..', 'renderer'),
};
