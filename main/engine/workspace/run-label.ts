// A run's label: what it did and to what, in one line a person reads in the history
// ("merge · mean of epoch-004, epoch-005, epoch-006", "train · smallcnn on mnist:train"). Made when the run
// starts; the user may change it afterwards (compare/history.ts renameRun).
import path from 'node:path';

/** Longest label kept (the history shows one line). */
export const LABEL_MAX = 200;

/** "a, b, c", or "a, b, c and 9 more" beyond `max`. */
export function listOf(names: string[], max = 4): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max - 1).join(', ')} and ${names.length - max + 1} more`;
}

/** Files by their names without folder and extension, as listOf lists them. */
export function namesOf(files: string[], max = 4): string {
  return listOf(files.map((f) => path.parse(f).name), max);
}

/** "KIND · WHAT", cut to LABEL_MAX characters. */
export function runLabel(kind: string, what: string): string {
  const label = `${kind} · ${what}`.replace(/\s+/g, ' ').trim();
  return label.length <= LABEL_MAX ? label : `${label.slice(0, LABEL_MAX - 1)}…`;
}
