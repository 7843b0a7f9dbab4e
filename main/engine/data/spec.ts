// Dataset specs: "KIND:ARGUMENT?option=value&task=NAME:ARGS&task=...".
// The argument is kind-specific (a split name, a path); options go to the kind, tasks are applied in order.
import { DatasetError } from './errors';

export interface DatasetSpec {
  kind: string;
  /** Everything between "KIND:" and "?" (may be empty; may itself contain ':' as Windows paths do). */
  argument: string;
  /** Kind options, each name once (last wins), without "task". */
  options: Record<string, string>;
  /** Derived tasks, in the order written ("rotate:90", "invert"). */
  tasks: string[];
}

/** URL-decodes an option; text with a stray '%' is taken as written. */
function decode(text: string): string {
  try { return decodeURIComponent(text); } catch { return text; }
}

export function parseSpec(spec: string): DatasetSpec {
  const trimmed = spec.trim();
  if (!trimmed) throw new DatasetError('dataset spec', 'is empty', 'Give one such as "mnist:train" or "imagefolder:/path/to/folder"');
  const q = trimmed.indexOf('?');
  const head = q < 0 ? trimmed : trimmed.slice(0, q);
  const query = q < 0 ? '' : trimmed.slice(q + 1);
  const colon = head.indexOf(':');
  // "C:\data" is a Windows path, not kind "C": kinds are at least two letters.
  const hasKind = colon >= 2 && /^[a-z][a-z0-9-]*$/i.test(head.slice(0, colon));
  const kind = hasKind ? head.slice(0, colon).toLowerCase() : '';
  const argument = hasKind ? head.slice(colon + 1) : head;
  const options: Record<string, string> = {};
  const tasks: string[] = [];
  for (const part of query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? '' : decode(part.slice(eq + 1)).trim();
    if (key === 'task') {
      if (!value) throw new DatasetError(spec, '"task=" needs a task', 'Write e.g. "?task=rotate:90"');
      tasks.push(value);
    } else options[key] = value;
  }
  return { kind, argument, options, tasks };
}

/** The canonical text of a spec (same options and tasks in a stable order). */
export function formatSpec(s: DatasetSpec): string {
  const parts = Object.keys(s.options).sort().map((k) => `${k}=${s.options[k]}`);
  for (const t of s.tasks) parts.push(`task=${t}`);
  const head = s.kind ? `${s.kind}:${s.argument}` : s.argument;
  return parts.length ? `${head}?${parts.join('&')}` : head;
}
