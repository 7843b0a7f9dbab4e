// Text from files (tensor names, metadata, paths inside a download) reaches the terminal, and a name that holds
// ESC sequences could retitle the window, clear the screen, rewrite earlier lines or hide a warning. Every
// control character (C0 but newline and tab where layout is kept, DEL, C1) and the bidirectional overrides that
// reorder what is shown are written as a visible \uXXXX escape instead. That form is also a valid JSON escape
// of the same character, so JSON output passed through it still parses to the original strings.
import { format } from 'node:util';

/** Controls and bidi overrides; newline and tab are matched too and spared by the caller when asked. */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's whole job
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control character escaped. `keepLines`: newlines and tabs stay (a message of several
 * lines); without it a name cannot start a line of its own (a forged "damaged:" or "wrote" line).
 */
export function terminalSafe(text: string, options: { keepLines?: boolean } = {}): string {
  return text.replace(UNSAFE, (ch) => (options.keepLines && (ch === '\n' || ch === '\t') ? ch : escape(ch)));
}

/**
 * Routes console.log and console.error through terminalSafe (lines kept) until the returned function is
 * called: the CLI's commands print through them, so no command can pass raw control bytes from a file on.
 */
export function guardConsole(): () => void {
  const { log, error } = console;
  console.log = (...args: unknown[]) => log.call(console, terminalSafe(format(...args), { keepLines: true }));
  console.error = (...args: unknown[]) => error.call(console, terminalSafe(format(...args), { keepLines: true }));
  return () => {
    console.log = log;
    console.error = error;
  };
}
