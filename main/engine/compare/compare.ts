// A comparison: several models and merges on one labelled dataset, side by side — accuracy, loss, per-class
// accuracy, agreement with each parent, the ensemble of the parents beside the merge, seed 002's chart,
// interpolation curves, weight differences and a grid of merges. Recorded as a run folder (kind "eval")
// holding the request, the inputs' hashes, eval.json and report.html.
import path from 'node:path';
import { loadDataset, type Dataset } from '../data';
import { agreement } from '../evaluate';
import { silentContext, type JobContext } from '../job-context';
import { RunFolder } from '../workspace/run-folder';
import { nameModels } from '../workspace/model-names';
import { runFilesIn } from '../workspace/run-index';
import { listOf, runLabel } from '../workspace/run-label';
import { writeAtomic } from '../train/run-files';
import { checkpointsOf } from './checkpoint-chart';
import { weightDiff } from './diff';
import { familyOf, samePath } from './family';
import { gridOf } from './grid';
import { hashInputs } from './hashes';
import { curvesOf } from './interpolation';
import { resolveModel, type ResolvedModel } from './models';
import { ENSEMBLE_NOTE } from './note';
import { predictAll } from './predictions';
import { renderCompareReport } from './report';
import { bestOf, ensembleRow, modelRows } from './rows';
import { CompareRequestSchema, type CompareRequest, type CompareResult, type CompareRow } from './types';

// Callers import these from here (the grid's helpers live in grid.ts).
export { gridOf, recipeParams } from './grid';

export interface CompareOptions {
  /** Records the comparison under <workspace>/runs/ (and resolves merges through the workspace's run folders). */
  workspace?: string;
  /** The run folder's name ends with this (default "compare"). */
  slug?: string;
}

export async function runComparison(raw: CompareRequest, ctx: JobContext = silentContext(), o: CompareOptions = {}): Promise<CompareResult> {
  const started = Date.now();
  const req = CompareRequestSchema.parse(raw);
  const n = req.models.length;
  for (const pair of [req.curve, req.diff]) {
    if (pair && (pair.a >= n || pair.b >= n || pair.a === pair.b)) throw new Error(`a curve or a diff needs two different models of the ${n} given (indices ${pair.a} and ${pair.b})`);
  }
  const title = req.title ?? `${n} model${n === 1 ? '' : 's'} on ${req.dataset}`;
  const run = o.workspace
    ? await RunFolder.create(o.workspace, o.slug ?? 'compare', `${JSON.stringify(req, null, 2)}\n`, {
      kind: 'eval', label: runLabel('compare', `${listOf(req.models.map((m) => m.label ?? path.parse(m.path).name))} on ${req.dataset}`),
      title, dataset: req.dataset, models: req.models,
    })
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

/**
 * Models without a label of the user's named by the run that wrote them ("train 3 · epoch-002"), so the table,
 * the charts and the report tell files of one name apart.
 */
async function runNamed(refs: CompareRequest['models'], workspace: string): Promise<CompareRequest['models']> {
  const names = nameModels(refs.map((r) => r.path), await runFilesIn(workspace));
  return refs.map((r, i) => (r.label ? r : { ...r, label: names[i].short }));
}

/** The comparison itself: predictions, rows, agreement, then the charts' data asked for. */
async function compare(req: CompareRequest, title: string, ctx: JobContext, workspace: string | undefined, log: (m: string) => void): Promise<CompareResult> {
  const data: Dataset = await loadDataset(req.dataset, ctx);
  if (data.size === 0) throw new Error(`${req.dataset} has no examples; pick a dataset with labelled examples`);
  const models: ResolvedModel[] = [];
  for (const ref of workspace ? await runNamed(req.models, workspace) : req.models) models.push(await resolveModel(ref, data, workspace));
  const preds = await predictAll(models, data, req, ctx, log);
  const rows = modelRows(models, preds, data);
  log(models.map((m, i) => `${m.label}: accuracy ${(100 * rows[i].accuracy).toFixed(2)} %, loss ${rows[i].loss.toFixed(4)}`).join('\n'));

  const family = familyOf(models);
  const allPreds: Int32Array[] = preds.map((p) => p.predictions);
  if ((req.ensemble ?? true) && family.members.length >= 2) {
    const ensemble = ensembleRow(family.members, family.firstMerge !== undefined, models, preds, data);
    rows.push(ensemble.row);
    allPreds.push(ensemble.predictions);
  }
  const full: CompareRow[] = rows.map((r, i) => ({ ...r, agreement: family.parents.map((p) => agreement(allPreds[i], allPreds[p])) }));

  const k = data.numClasses;
  const result: CompareResult = {
    title,
    dataset: { spec: req.dataset, id: data.id, size: data.size, numClasses: k },
    classes: data.classNames.slice(0, k),
    rows: full,
    parents: family.parents,
    best: bestOf(full, k),
    note: ENSEMBLE_NOTE,
    inputs: [],
    seconds: 0,
  };
  if (family.firstMerge !== undefined) result.checkpoints = checkpointsOf(family.firstMerge, family.parentsOf(family.firstMerge), models, full);
  if (req.curve) result.curves = await curvesOf({ curve: req.curve, batchSize: req.batchSize, threads: req.threads }, models, data, ctx, log);
  if (req.diff) result.diff = await diffOf(req.diff, models, ctx);
  result.grid = gridOf(full);
  result.inputs = await hashInputs(req.models.flatMap((m) => [m.path, ...(m.graph ? [m.graph] : [])]), workspace, ctx.signal);
  for (const row of full) if (row.path) row.sha256 = result.inputs.find((x) => samePath(x.path, row.path))?.sha256;
  return result;
}

/** Per-tensor weight differences between models a and b. */
async function diffOf(pair: { a: number; b: number }, models: ResolvedModel[], ctx: JobContext): Promise<NonNullable<CompareResult['diff']>> {
  const d = await weightDiff(models[pair.a].ref.path, models[pair.b].ref.path, ctx);
  return { a: pair.a, b: pair.b, tensors: d.tensors, skipped: d.skipped };
}
