// Run history: a scan of <workspace>/runs/*/run.json (after the sweep of a killed process's leftovers) — training, merges, alignments, comparisons, soups and
// searches — newest first, searchable; one run's files read back; a run deleted (only inside runs/).
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../files/writeAtomic';
import { sweepLeftovers } from '../workspace/leftovers';
import { LABEL_MAX } from '../workspace/run-label';

export interface RunSummary {
  dir: string;
  name: string;
  /** The run's id: its folder's name (what `runs --label ID` takes). */
  id: string;
  /** What the user calls it: run.json's label ("merge · mean of a, b"), else the kind and title. */
  label: string;
  /** train, merge, align, eval (a comparison), soup, search, … as its run.json says. */
  kind: string;
  /** running, succeeded, completed, failed, cancelled, interrupted, … as its run.json says ("unreadable" when it cannot be read). */
  status: string;
  startedAt?: string;
  seconds?: number;
  /** One line of what it is ("smallcnn on mnist:train, 6 epochs", "mean of 3 models"). */
  title: string;
  /** The headline number when there is one (a training's last test accuracy, a comparison's best). */
  accuracy?: number;
  /** Model files this run wrote (outputs, checkpoints, model.onnx), for the Compare screen's picker. */
  outputs: string[];
  /** Files it read (a merge's parents), by path; run.json keeps their SHA-256. */
  inputs: string[];
  error?: string;
}

export interface RunDetail extends RunSummary {
  record: Record<string, unknown>;
  recipeYaml?: string;
  /** The last lines of log.txt. */
  log: string[];
  /** eval.json when the run has one (comparisons, soups, searches). */
  evaluation?: unknown;
  /** Training: per-epoch records; per-step loss, thinned to at most 400 points. */
  epochs: Record<string, unknown>[];
  steps: { step: number; loss: number; accuracy?: number }[];
  files: { name: string; bytes: number }[];
  hasReport: boolean;
}

const LOG_LINES = 200;
const STEP_POINTS = 400;

export function runsDir(workspace: string): string {
  return path.join(workspace, 'runs');
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
/** A record's inputs: paths, or {path, sha256} as runs record them now. */
const inputPaths = (v: unknown): string[] => (Array.isArray(v)
  ? v.flatMap((x) => (typeof x === 'string' ? [x] : x && typeof x === 'object' && typeof (x as { path?: unknown }).path === 'string' ? [(x as { path: string }).path] : []))
  : []);

function summarize(dir: string, r: Record<string, unknown>): RunSummary {
  const kind = str(r.kind) ?? 'unknown';
  const name = path.basename(dir);
  const base: RunSummary = {
    dir, name, id: name, label: '', kind, status: str(r.status) ?? 'unknown', startedAt: str(r.startedAt), seconds: num(r.seconds),
    title: str(r.title) ?? kind, outputs: [], inputs: [], ...(str(r.error) ? { error: str(r.error) } : {}),
  };
  if (kind === 'train') {
    const epochs = Array.isArray(r.epochs) ? (r.epochs as Record<string, unknown>[]) : [];
    const last = epochs[epochs.length - 1];
    base.title = `${str(r.arch) ?? 'model'} on ${str(r.dataset) ?? '?'}, ${epochs.length}/${num(r.epochsPlanned) ?? '?'} epochs`;
    base.accuracy = num(last?.evalAccuracy);
    base.outputs = [...strings(r.checkpoints), ...(str(r.model) ? [str(r.model)!] : [])];
    base.inputs = inputPaths(r.inputs);
    if (!base.inputs.length && str(r.initFrom)) base.inputs = [str(r.initFrom)!];
  } else if (kind === 'merge') {
    const output = r.output as { path?: string } | string | undefined;
    const out = typeof output === 'string' ? output : output?.path;
    base.inputs = inputPaths(r.inputs);
    base.title = `${str(r.method) ?? 'merge'} of ${base.inputs.length} model${base.inputs.length === 1 ? '' : 's'}${out ? ` → ${path.basename(out)}` : ''}`;
    if (out && base.status === 'succeeded') base.outputs = [out];
  } else {
    base.inputs = inputPaths(r.inputs ?? r.models);
    base.accuracy = num(r.accuracy);
    base.outputs = strings(r.outputs);
  }
  base.label = str(r.label) ?? `${kind} · ${base.title}`;
  return base;
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  const v = JSON.parse(await readFile(file, 'utf8')) as unknown;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('run.json is not an object');
  return v as Record<string, unknown>;
}

function matches(r: RunSummary, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const text = [r.name, r.label, r.kind, r.status, r.title, ...r.inputs, ...r.outputs, r.error ?? ''].join(' ').toLowerCase();
  return words.every((w) => text.includes(w));
}

/** Every run in the workspace, newest first; `query` keeps those whose name, kind, status, title or files contain every word. */
export async function listRuns(workspace: string, query = ''): Promise<RunSummary[]> {
  // Sweep first (jobs/leftovers.ts): a run whose process died shows as interrupted, not as running.
  await sweepLeftovers({ workspace });
  let names: string[];
  try {
    names = (await readdir(runsDir(workspace), { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []; // no run yet
    throw e;
  }
  const runs = await Promise.all(names.map(async (name): Promise<RunSummary | null> => {
    const dir = path.join(runsDir(workspace), name);
    try {
      return summarize(dir, await readJson(path.join(dir, 'run.json')));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; // not a run folder (yet)
      return { dir, name, id: name, label: name, kind: 'unknown', status: 'unreadable', title: name, outputs: [], inputs: [], error: `run.json cannot be read: ${(e as Error).message}` };
    }
  }));
  // startedAt, else the time in the folder's name (20261122-175732-…, local time) for a run.json that cannot be read
  const time = (r: RunSummary) => {
    if (r.startedAt) return Date.parse(r.startedAt);
    const m = /^(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)/.exec(r.name);
    return m ? new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]).getTime() : NaN;
  };
  return runs
    .filter((r): r is RunSummary => r !== null && (!query.trim() || matches(r, query)))
    .sort((a, b) => (time(b) || 0) - (time(a) || 0) || b.name.localeCompare(a.name));
}

/** The folder `dir` as a run of this workspace: a direct child of <workspace>/runs, else an error. */
export function checkRunDir(workspace: string, dir: string): string {
  const resolved = path.resolve(dir);
  if (path.dirname(resolved) !== path.resolve(runsDir(workspace))) {
    throw new Error(`${dir} is not a run folder of the workspace (${runsDir(workspace)}); pick a run from the history`);
  }
  return resolved;
}

async function readOptional(file: string): Promise<string | undefined> {
  try { return await readFile(file, 'utf8'); } catch { return undefined; }
}

function thin<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  return Array.from({ length: max }, (_, i) => xs[Math.min(xs.length - 1, Math.round(i * step))]).concat(xs[xs.length - 1]);
}

/** One run's record, recipe, log tail, evaluation, training curve and files. */
export async function readRun(workspace: string, dir: string): Promise<RunDetail> {
  const d = checkRunDir(workspace, dir);
  let record: Record<string, unknown>;
  try {
    record = await readJson(path.join(d, 'run.json'));
  } catch (e) {
    throw new Error(`${d}: run.json cannot be read (${(e as Error).message}); the run may have been deleted`);
  }
  // A run whose files went to a folder of the user's (train --out DIR) keeps its curve there.
  const outDir = str(record.outDir);
  const [recipeYaml, logText, evalText, ownMetrics, entries] = await Promise.all([
    readOptional(path.join(d, 'recipe.yaml')), readOptional(path.join(d, 'log.txt')), readOptional(path.join(d, 'eval.json')),
    readOptional(path.join(d, 'metrics.jsonl')), readdir(d, { withFileTypes: true }),
  ]);
  const metricsText = ownMetrics ?? (outDir ? await readOptional(path.join(outDir, 'metrics.jsonl')) : undefined);
  const files = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => ({ name: e.name, bytes: (await stat(path.join(d, e.name))).size })));
  const steps: RunDetail['steps'] = [];
  for (const line of (metricsText ?? '').split('\n')) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as Record<string, unknown>;
      if (m.kind === 'step' && num(m.step) !== undefined && num(m.loss) !== undefined) steps.push({ step: m.step as number, loss: m.loss as number, accuracy: num(m.accuracy) });
    } catch { /* a line cut by a crash */ }
  }
  let evaluation: unknown;
  try { evaluation = evalText ? JSON.parse(evalText) : undefined; } catch { evaluation = undefined; }
  return {
    ...summarize(d, record), record, recipeYaml, evaluation,
    log: (logText ?? '').split('\n').filter(Boolean).slice(-LOG_LINES),
    epochs: Array.isArray(record.epochs) ? (record.epochs as Record<string, unknown>[]) : [],
    steps: thin(steps, STEP_POINTS),
    files: files.sort((a, b) => a.name.localeCompare(b.name)),
    hasReport: files.some((f) => f.name === 'report.html'),
  };
}

/** Deletes a run folder of this workspace (and only such a folder: it must hold a run.json). */
export async function deleteRun(workspace: string, dir: string): Promise<void> {
  const d = checkRunDir(workspace, dir);
  const has = await stat(path.join(d, 'run.json')).then(() => true, () => false);
  if (!has) throw new Error(`${d} holds no run.json; only run folders are deleted from the history`);
  await rm(d, { recursive: true, force: true });
}

/**
 * Gives the run in `dir` a new label, the name the history shows. A running run is refused: its process
 * rewrites run.json as it goes and would put the old label back.
 */
export async function renameRun(workspace: string, dir: string, label: string): Promise<RunSummary> {
  const d = checkRunDir(workspace, dir);
  const text = label.replace(/\s+/g, ' ').trim();
  if (!text) throw new Error('a label needs some text');
  if (text.length > LABEL_MAX) throw new Error(`a label is at most ${LABEL_MAX} characters; this one has ${text.length}`);
  const file = path.join(d, 'run.json');
  let record: Record<string, unknown>;
  try {
    record = await readJson(file);
  } catch (e) {
    throw new Error(`${d}: run.json cannot be read (${(e as Error).message}); only runs of the history can be renamed`);
  }
  if (record.status === 'running') throw new Error(`${path.basename(d)} is still running; rename it once it has finished`);
  const updated = { ...record, label: text };
  await writeFileAtomic(file, `${JSON.stringify(updated, null, 2)}\n`, { mkdir: false });
  return summarize(d, updated);
}

/** The merge run that wrote `file` (succeeded), if the workspace has one: its parents and recipe. */
export async function mergeRunOf(workspace: string, file: string): Promise<{ dir: string; record: Record<string, unknown>; recipeYaml?: string } | undefined> {
  const target = path.resolve(file);
  for (const r of await listRuns(workspace)) {
    if (r.kind === 'merge' && r.outputs.some((o) => path.resolve(o) === target)) {
      const record = await readJson(path.join(r.dir, 'run.json'));
      return { dir: r.dir, record, recipeYaml: await readOptional(path.join(r.dir, 'recipe.yaml')) };
    }
  }
  return undefined;
}
