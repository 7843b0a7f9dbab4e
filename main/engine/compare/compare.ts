// A comparison: several models and merges on one labelled dataset, side by side — accuracy, loss, per-class
// accuracy, agreement with each parent, the ensemble of the parents beside the merge, seed 002's chart,
// interpolation curves, weight differences and a grid of merges. Recorded as a run folder (kind "eval")
// holding the request, the inputs' hashes, eval.json and report.html.
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadDataset, type Dataset } from '../data';
import { agreement, ensembleLogProbs, predict, scoreLogProbs, scoreLogits, type EvalResult, type Predictions } from '../evaluate';
import { silentContext, throwIfCancelled, type JobContext } from '../job-context';
import { epochOf } from '../merge/recipe';
import { RunFolder } from '../merge/runs';
import { writeAtomic } from '../train/run-files';
import { getCurveKind, listCurveKinds } from './curves';
import { weightDiff } from './diff';
import { hashInputs } from './hashes';
import { checkClasses, resolveModel, type ResolvedModel } from './models';
import { ENSEMBLE_NOTE } from './note';
import { renderCompareReport } from './report';
import { CompareRequestSchema, type CompareRequest, type CompareResult, type CompareRow } from './types';

export interface CompareOptions {
  /** Records the comparison under <workspace>/runs/ (and resolves merges through the workspace's run folders). */
  workspace?: string;
  /** The run folder's name ends with this (default "compare"). */
  slug?: string;
}

/** A merge recipe's parameters as text, for the grid: method, parameters.*, weights, and α for two models. */
export function recipeParams(recipeYaml: string | undefined): Record<string, string> {
  if (!recipeYaml) return {};
  let r: Record<string, unknown>;
  try { r = (parseYaml(recipeYaml) ?? {}) as Record<string, unknown>; } catch { return {}; }
  const out: Record<string, string> = {};
  if (typeof r.method === 'string') out.method = r.method;
  const params = (r.parameters ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(params)) if (['number', 'string', 'boolean'].includes(typeof v)) out[`parameters.${k}`] = String(v);
  const models = Array.isArray(r.models) ? (r.models as unknown[]) : [];
  const weights = models.map((m) => (m && typeof m === 'object' && typeof (m as { weight?: unknown }).weight === 'number' ? (m as { weight: number }).weight : 1));
  if (models.length >= 2 && weights.some((w) => w !== 1)) out.weights = weights.join(', ');
  if (models.length === 2 && weights[0] + weights[1] !== 0) out.alpha = String(Math.round((weights[1] / (weights[0] + weights[1])) * 1000) / 1000);
  return out;
}

function bestIndex(values: number[], better: (a: number, b: number) => boolean): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (better(values[i], values[best])) best = i;
  return best;
}

function rowOf(id: string, kind: CompareRow['kind'], label: string, r: EvalResult, classes: number): Omit<CompareRow, 'agreement'> {
  const perClass = Array.from({ length: classes }, (_, c) => r.per_class.find((p) => p.class === c)?.accuracy ?? NaN);
  return { id, kind, label, accuracy: r.accuracy, loss: r.loss, n: r.n, perClass, confusion: r.confusion, notes: [] };
}

const samePath = (a?: string, b?: string) => !!a && !!b && path.resolve(a) === path.resolve(b);

export async function runComparison(raw: CompareRequest, ctx: JobContext = silentContext(), o: CompareOptions = {}): Promise<CompareResult> {
  const started = Date.now();
  const req = CompareRequestSchema.parse(raw);
  const n = req.models.length;
  for (const pair of [req.curve, req.diff]) {
    if (pair && (pair.a >= n || pair.b >= n || pair.a === pair.b)) throw new Error(`a curve or a diff needs two different models of the ${n} given (indices ${pair.a} and ${pair.b})`);
  }
  const title = req.title ?? `${n} model${n === 1 ? '' : 's'} on ${req.dataset}`;
  const run = o.workspace
    ? await RunFolder.create(o.workspace, o.slug ?? 'compare', `${JSON.stringify(req, null, 2)}\n`, { kind: 'eval', title, dataset: req.dataset, models: req.models })
    : undefined;
  const log = (m: string) => { ctx.log(m); run?.log(m); };
  try {
    const result = await compare(req, title, ctx, o.workspace, log);
    result.seconds = (Date.now() - started) / 1000;
    if (run) {
      result.runDir = run.dir;
      result.report = path.join(run.dir, 'report.html');
      await writeAtomic(path.join(run.dir, 'eval.json'), `${JSON.stringify(result, null, 2)}\n`);
      await writeAtomic(result.report, await renderCompareReport(result));
      const best = result.rows[result.best.accuracy];
      await run.finish('succeeded', { accuracy: best.accuracy, best: best.label, inputs: result.inputs.map((i) => i.path), hashes: result.inputs });
      log(`wrote ${result.report}`);
    }
    return result;
  } catch (e) {
    const cancelled = ctx.signal.aborted;
    await run?.finish(cancelled ? 'cancelled' : 'failed', cancelled ? {} : { error: (e as Error).message }).catch(() => {});
    throw e;
  }
}

async function compare(req: CompareRequest, title: string, ctx: JobContext, workspace: string | undefined, log: (m: string) => void): Promise<CompareResult> {
  const data: Dataset = await loadDataset(req.dataset, ctx);
  if (data.size === 0) throw new Error(`${req.dataset} has no examples; pick a dataset with labelled examples`);
  const sessionOptions = req.threads ? { intraOpNumThreads: req.threads } : undefined;
  const models: ResolvedModel[] = [];
  for (const ref of req.models) models.push(await resolveModel(ref, data, workspace));
  const preds: Predictions[] = [];
  for (const [i, m] of models.entries()) {
    throwIfCancelled(ctx);
    const sub: JobContext = { ...ctx, progress: (u) => ctx.progress({ ...u, done: i * data.size + u.done, total: models.length * data.size, unit: 'examples', message: `${m.label}: ${u.message ?? ''}` }) };
    const p = await predict(m.model, data, { batchSize: req.batchSize, sessionOptions }, sub);
    checkClasses(m.label, p.numOutputs, data);
    preds.push(p);
    for (const note of m.notes) log(`${m.label}: ${note}`);
  }
  const k = data.numClasses;
  const rows: Omit<CompareRow, 'agreement'>[] = models.map((m, i) => {
    const r = rowOf(`m${i}`, m.merge ? 'merge' : 'model', m.label, scoreLogits(preds[i].logits, preds[i].numOutputs, data.labels, data.classNames), k);
    r.path = m.ref.path;
    r.notes = m.notes;
    if (m.merge) r.merge = { ...m.merge, params: recipeParams(m.merge.recipeYaml) };
    return r;
  });
  log(models.map((m, i) => `${m.label}: accuracy ${(100 * rows[i].accuracy).toFixed(2)} %, loss ${rows[i].loss.toFixed(4)}`).join('\n'));

  // Parents: the selected models a merge was made from (by path).
  const parentsOf = (i: number) => (models[i].merge?.parents ?? []).flatMap((p) => {
    const j = models.findIndex((m, jj) => jj !== i && samePath(m.ref.path, p.path));
    return j >= 0 && p.role === 'model' ? [j] : [];
  });
  const merges = models.map((_, i) => i).filter((i) => models[i].merge);
  const parentSet = [...new Set(merges.flatMap(parentsOf))].sort((a, b) => a - b);
  const parents = parentSet.length ? parentSet : models.map((_, i) => i);

  // The ensemble baseline: the parents of the first merge whose parents are here, else every model.
  const firstMerge = merges.find((i) => parentsOf(i).length >= 2);
  const members = firstMerge !== undefined ? parentsOf(firstMerge) : merges.length === 0 ? models.map((_, i) => i) : [];
  const allPreds: Int32Array[] = preds.map((p) => p.predictions);
  if ((req.ensemble ?? true) && members.length >= 2) {
    const lp = ensembleLogProbs(members.map((i) => preds[i]));
    const names = members.map((i) => models[i].label).join(' + ');
    const r = rowOf('ensemble', 'ensemble', names.length <= 48 ? `ensemble of ${names}` : `ensemble of ${members.length} ${firstMerge !== undefined ? 'parents' : 'models'}`, scoreLogProbs(lp, k, data.labels, data.classNames), k);
    r.members = members;
    r.notes = [`the average of the predicted probabilities (softmax) of ${names}, not a merge of their weights`];
    rows.push(r);
    const ep = new Int32Array(data.size);
    for (let e = 0; e < data.size; e++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (lp[e * k + c] > lp[e * k + best]) best = c;
      ep[e] = best;
    }
    allPreds.push(ep);
  }
  const full: CompareRow[] = rows.map((r, i) => ({ ...r, agreement: parents.map((p) => agreement(allPreds[i], allPreds[p])) }));

  const result: CompareResult = {
    title,
    dataset: { spec: req.dataset, id: data.id, size: data.size, numClasses: k },
    classes: data.classNames.slice(0, k),
    rows: full,
    parents,
    best: {
      accuracy: bestIndex(full.map((r) => r.accuracy), (a, b) => a > b),
      loss: bestIndex(full.map((r) => r.loss), (a, b) => a < b),
      perClass: Array.from({ length: k }, (_, c) => bestIndex(full.map((r) => (Number.isNaN(r.perClass[c]) ? -1 : r.perClass[c])), (a, b) => a > b)),
    },
    note: ENSEMBLE_NOTE,
    inputs: [],
    seconds: 0,
  };

  // Seed 002's chart: a merge and its checkpoints.
  if (firstMerge !== undefined) {
    const ps = parentsOf(firstMerge);
    const epochs = ps.map((i) => epochOf(path.basename(models[i].ref.path)));
    const byEpoch = epochs.every((e) => e !== undefined) && new Set(epochs).size === epochs.length;
    result.checkpoints = {
      merge: firstMerge,
      points: ps.map((i, j) => ({ row: i, label: models[i].label, x: byEpoch ? epochs[j]! : j + 1, accuracy: full[i].accuracy })),
      xTitle: byEpoch ? 'epoch' : 'model',
      mean: ps.reduce((s, i) => s + full[i].accuracy, 0) / ps.length,
    };
  }

  if (req.curve) {
    const { a, b } = req.curve;
    const kinds = req.curve.kinds?.map(getCurveKind) ?? listCurveKinds();
    const [na, nb] = [await models[a].net(), await models[b].net()];
    const series: NonNullable<CompareResult['curves']>['series'] = [];
    const errors: string[] = [];
    for (const kind of kinds) {
      throwIfCancelled(ctx);
      try {
        const c = await kind.compute(na, nb, data, { steps: req.curve.steps ?? 11, batchSize: req.batchSize, threads: req.threads }, { ...ctx, progress: (u) => ctx.progress({ ...u, message: `${kind.label} curve: ${u.message ?? ''}` }) });
        series.push({ kind: kind.id, name: kind.label, ...c });
        log(`${kind.label} curve from ${models[a].label} to ${models[b].label}: loss barrier ${c.barrier.loss.toFixed(4)} at α = ${c.barrier.alpha}`);
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        errors.push(`${kind.label}: ${(e as Error).message}`);
      }
    }
    result.curves = { a, b, series, errors };
  }

  if (req.diff) {
    const d = await weightDiff(models[req.diff.a].ref.path, models[req.diff.b].ref.path, ctx);
    result.diff = { a: req.diff.a, b: req.diff.b, tensors: d.tensors, skipped: d.skipped };
  }

  result.grid = gridOf(full);
  result.inputs = await hashInputs(req.models.flatMap((m) => [m.path, ...(m.graph ? [m.graph] : [])]), workspace, ctx.signal);
  for (const row of full) if (row.path) row.sha256 = result.inputs.find((x) => samePath(x.path, row.path))?.sha256;
  return result;
}


/** Merges placed by the first two recipe parameters that vary between them (α × method, …). */
export function gridOf(rows: CompareRow[]): CompareResult['grid'] {
  const merges = rows.map((r, i) => ({ r, i })).filter((x) => x.r.merge);
  if (merges.length < 2) return undefined;
  const keys = [...new Set(merges.flatMap((m) => Object.keys(m.r.merge!.params)))];
  const varying = keys.filter((key) => new Set(merges.map((m) => m.r.merge!.params[key] ?? '—')).size > 1);
  if (!varying.length) return undefined;
  const x = varying.includes('alpha') ? 'alpha' : varying[0];
  const y = varying.find((v) => v !== x && v !== 'weights') ?? (x !== 'method' ? 'method' : '');
  return {
    x, y, params: varying,
    cells: merges.map((m) => ({ row: m.i, x: m.r.merge!.params[x] ?? '—', y: y ? (m.r.merge!.params[y] ?? '—') : '', accuracy: m.r.accuracy, label: m.r.label })),
  };
}
