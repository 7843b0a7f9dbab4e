// How a model file is named to a person: by the run that wrote it ("train 3 · epoch-002",
// "merge · mean of a, b · merged"), so that files of one name from different runs can be told apart; a file
// from no run by its name, with as many parent folders as it takes to tell it from the others shown with it.
// Pure: the runs come from run-index.ts, the paths from the caller.
import path from 'node:path';

/** What a run owns: files it lists (outputs, checkpoints, model) and the folders it writes into. */
export interface RunFiles {
  id: string;
  label: string;
  /** Absolute paths of the files its run.json names. */
  files: string[];
  /** Absolute folders whose files are its own: the run folder, its outDir, their checkpoints folders. */
  folders: string[];
}

export interface ModelName {
  path: string;
  runId?: string;
  runLabel?: string;
  /** What a list, picker or table shows. */
  short: string;
}

/** Longest run label kept in a short name; the full label is in `runLabel`. */
export const SHORT_LABEL_MAX = 40;

/** `label` cut at a word to at most `max` characters, with "…" when cut. */
export function shortLabel(label: string, max = SHORT_LABEL_MAX): string {
  const text = label.replace(/\s+/g, ' ').trim();
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const atWord = cut.lastIndexOf(' ');
  // a label with no space early enough is cut mid-word rather than left nearly empty
  const kept = atWord >= max / 2 ? cut.slice(0, atWord) : cut;
  return `${kept.replace(/[\s,·:;-]+$/, '')}…`;
}

/** The run that wrote `file`: one that names it, else one whose folder holds it. */
export function runOf(file: string, runs: RunFiles[]): RunFiles | undefined {
  const abs = path.resolve(file);
  const folder = path.dirname(abs);
  return runs.find((r) => r.files.includes(abs)) ?? runs.find((r) => r.folders.includes(folder));
}

/** Ways to name one file, least to most specific; the last is its full path. */
function candidates(file: string, run: RunFiles | undefined): string[] {
  const { name, base } = path.parse(file);
  if (run) {
    const label = shortLabel(run.label);
    return [`${label} · ${name}`, `${label} · ${base}`, `${label} (${run.id}) · ${base}`, file];
  }
  const parts = path.resolve(file).split(path.sep).filter(Boolean);
  const out: string[] = [];
  for (let n = 1; n < parts.length; n++) out.push(parts.slice(-n).join('/'));
  return [...out, file];
}

/**
 * Names for `files`, shown together: each by its run's label and its stem, made more specific (extension,
 * run id; parent folders for files of no run) only where two different files would read the same.
 * `lookUp` false: the file is named by its path alone.
 */
export function nameModels(files: string[], runs: RunFiles[], lookUp: (file: string) => boolean = () => true): ModelName[] {
  const entries = files.map((file) => {
    const run = lookUp(file) ? runOf(file, runs) : undefined;
    return { file, key: path.resolve(file), run, names: candidates(file, run), level: 0 };
  });
  // Raise every member of a group that reads alike until no two different files share a name.
  for (let changed = true; changed;) {
    changed = false;
    const byName = new Map<string, typeof entries>();
    for (const e of entries) {
      const n = e.names[e.level];
      byName.set(n, [...(byName.get(n) ?? []), e]);
    }
    for (const group of byName.values()) {
      if (new Set(group.map((e) => e.key)).size < 2) continue;
      for (const e of group) {
        if (e.level < e.names.length - 1) { e.level++; changed = true; }
      }
    }
  }
  return entries.map((e) => ({
    path: e.file, short: e.names[e.level],
    ...(e.run ? { runId: e.run.id, runLabel: e.run.label } : {}),
  }));
}
