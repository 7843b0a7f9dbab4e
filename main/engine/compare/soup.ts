// Model soups (Wortsman et al. 2022, as their reference code mlfoundations/model-soups does it):
// - uniform soup: the mean of every model's weights;
// - greedy soup: sort the models by held-out accuracy, best first; start from the best; add each next model
//   only if the soup with it scores strictly higher on the held-out split than the soup without it.
// The soup is always the plain mean of its ingredients (the reference keeps a running mean, the same value up
// to float rounding). Choices are made on the held-out split only; the test split is reported, never used to
// choose. Trials run in memory through the merge engine; the soup that is kept is written by runMerge
// (a merge run folder with the recipe and the parents' hashes).
import path from 'node:path';
import { loadDataset, type Dataset } from '../data';
import { evaluateModel, type EvalResult } from '../evaluate';
import { silentContext, throwIfCancelled, type JobContext } from '../job-context';
import { runMerge } from '../merge/executor';
import type { Recipe } from '../merge/recipe';
import { refuseExisting } from '../workspace/output-guard';
import { RunFolder } from '../workspace/run-folder';
import { listOf, runLabel } from '../workspace/run-label';
import { netModel, sameLayout, type Net } from '../models/load-net';
import { writeAtomic } from '../train/run-files';
import { hashInputs } from './hashes';
import { mergeInMemory } from './merge-in-memory';
import { checkClasses, resolveModel, type ModelRef, type ResolvedModel } from './models';
import { SoupRequestSchema, type SoupRequest, type SoupResult, type SoupStep } from './types';

export interface SoupOptions { workspace?: string }

/**
 * The greedy rule on its own: `order` sorted best first by `scores`; `soupScore(ingredients)` scores a soup.
 * Returns the ingredients and every step (strictly better ⇒ added).
 */
export async function greedySoup(scores: number[], soupScore: (ingredients: number[]) => Promise<number>): Promise<{ order: number[]; ingredients: number[]; steps: Omit<SoupStep, 'label'>[]; best: number }> {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const ingredients = [order[0]];
  let best = scores[order[0]];
  const steps: Omit<SoupStep, 'label'>[] = [{ model: order[0], heldout: scores[order[0]], soupHeldout: best, added: true }];
  for (const i of order.slice(1)) {
    const s = await soupScore([...ingredients, i]);
    const added = s > best;
    if (added) { ingredients.push(i); best = s; }
    steps.push({ model: i, heldout: scores[i], soupHeldout: s, added });
  }
  return { order, ingredients, steps, best };
}

/**
 * Where the soup goes by default, and how it is run afterwards. ONNX ingredients make an ONNX soup (their graph
 * with the averaged weights, a file that runs on its own); a soup of weights runs with the first ingredient's
 * architecture or graph, as the ingredients did.
 */
export function soupOutput(first: ModelRef, dir: string, kind: string, output?: string): { path: string; ref: (soupPath: string) => ModelRef } {
  const onnx = path.extname(first.path).toLowerCase() === '.onnx';
  const out = output ?? path.join(dir, `${kind}-soup${onnx ? '.onnx' : '.safetensors'}`);
  return {
    path: out,
    ref: (soupPath) => {
      if (path.extname(soupPath).toLowerCase() === '.onnx') return { path: soupPath };
      const graph = first.graph ?? (onnx ? path.resolve(first.path) : undefined);
      return { path: soupPath, ...(first.arch ? { arch: first.arch } : {}), ...(graph && !first.arch ? { graph } : {}) };
    },
  };
}

function meanRecipe(paths: string[], output: string, name: string, overwrite = false): Recipe {
  return { name, method: 'mean', models: paths.map((p) => ({ path: p })), output: { path: output, ...(overwrite ? { overwrite } : {}) } };
}

export async function runSoup(raw: SoupRequest, ctx: JobContext = silentContext(), o: SoupOptions = {}): Promise<SoupResult> {
  const started = Date.now();
  const req = SoupRequestSchema.parse(raw);
  if (req.test && req.test === req.heldout) throw new Error(`the held-out split (${req.heldout}) must not be the test split; choose on one (e.g. mnist:val) and report on the other (mnist:test)`);
  // A soup named by the user must not replace a file unasked: said now, not after every model was scored.
  if (req.output) refuseExisting([req.output], req.overwrite);
  const run = o.workspace
    ? await RunFolder.create(o.workspace, `${req.kind}-soup`, `${JSON.stringify(req, null, 2)}\n`, { kind: 'soup', label: runLabel('soup', `${req.kind} of ${listOf(req.models.map((m) => m.label ?? path.parse(m.path).name))}`), title: `${req.kind} soup of ${req.models.length} models`, models: req.models, heldout: req.heldout, test: req.test })
    : undefined;
  const log = (m: string) => { ctx.log(m); run?.log(m); };
  try {
    const heldout = await loadDataset(req.heldout, ctx);
    const test = req.test ? await loadDataset(req.test, ctx) : undefined;
    const sessionOptions = req.threads ? { intraOpNumThreads: req.threads } : undefined;
    const score = async (model: Parameters<typeof evaluateModel>[0], d: Dataset): Promise<EvalResult> => {
      throwIfCancelled(ctx);
      return evaluateModel(model, d, { sessionOptions });
    };
    const models: ResolvedModel[] = [];
    const nets: Net[] = [];
    for (const ref of req.models) {
      const m = await resolveModel(ref, heldout, o.workspace);
      const net = await m.net();
      checkClasses(m.label, net.graph.numClasses, heldout);
      if (test) checkClasses(m.label, net.graph.numClasses, test);
      if (nets.length) {
        const problem = sameLayout(nets[0], net);
        if (problem) throw new Error(`a soup needs models of one architecture: ${problem}`);
      }
      models.push(m); nets.push(net);
    }
    const byPath = new Map(models.map((m, i) => [path.resolve(m.ref.path), nets[i]]));
    // Every model scored alone, then (greedy) one soup per model after the best: the count ends where it says.
    const evaluations = models.length + (req.kind === 'greedy' ? models.length - 1 : 0);
    const alone: SoupResult['models'] = [];
    for (const [i, m] of models.entries()) {
      const h = await score(m.model, heldout);
      const t = test ? await score(m.model, test) : undefined;
      alone.push({ label: m.label, path: m.ref.path, heldout: h.accuracy, ...(t ? { test: t.accuracy } : {}) });
      ctx.progress({ done: i + 1, total: evaluations, unit: 'evaluations', message: `${m.label}: held-out ${(100 * h.accuracy).toFixed(2)} %` });
      log(`${m.label}: held-out accuracy ${(100 * h.accuracy).toFixed(2)} %${t ? `, test ${(100 * t.accuracy).toFixed(2)} %` : ''}`);
    }
    let tried = 0;
    const soupScore = async (ingredients: number[]): Promise<number> => {
      const state = await mergeInMemory(meanRecipe(ingredients.map((i) => path.resolve(models[i].ref.path)), 'trial.safetensors', 'soup trial'), byPath, process.cwd(), ctx);
      const r = await score(netModel(nets[0], state), heldout);
      ctx.progress({ done: models.length + ++tried, total: evaluations, unit: 'evaluations', message: `soup of ${ingredients.length}: held-out ${(100 * r.accuracy).toFixed(2)} %` });
      return r.accuracy;
    };
    const scores = alone.map((a) => a.heldout);
    let order: number[], ingredients: number[], steps: SoupStep[];
    if (req.kind === 'greedy') {
      const g = await greedySoup(scores, soupScore);
      ({ order, ingredients } = g);
      steps = g.steps.map((s) => ({ ...s, label: models[s.model].label }));
      for (const s of steps.slice(1)) log(`${s.added ? 'added' : 'skipped'} ${s.label}: soup held-out ${(100 * s.soupHeldout).toFixed(2)} %`);
    } else {
      order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
      ingredients = models.map((_, i) => i);
      steps = [];
    }

    // The soup that is kept: written by the real merge engine (one ingredient: that model itself).
    const { path: out, ref: soupRef } = soupOutput(models[ingredients[0]].ref, run?.dir ?? process.cwd(), req.kind, req.output);
    let soupPath: string, mergeRunDir: string | undefined, sha256: string;
    if (ingredients.length >= 2) {
      const merged = await runMerge(meanRecipe(ingredients.map((i) => path.resolve(models[i].ref.path)), out, `${req.kind} soup`, req.overwrite), ctx, { workspace: o.workspace });
      soupPath = merged.output.path; sha256 = merged.output.sha256; mergeRunDir = merged.runDir;
    } else {
      soupPath = path.resolve(models[ingredients[0]].ref.path);
      sha256 = (await hashInputs([soupPath], o.workspace, ctx.signal))[0].sha256;
      log(`no model improved on ${models[ingredients[0]].label} alone: the soup is that model`);
    }
    const soupModel = await resolveModel(soupRef(soupPath), heldout, o.workspace);
    const sh = await score(soupModel.model, heldout);
    const st = test ? await score(soupModel.model, test) : undefined;
    log(`${req.kind} soup of ${ingredients.length}: held-out ${(100 * sh.accuracy).toFixed(2)} %${st ? `, test ${(100 * st.accuracy).toFixed(2)} %` : ''} → ${soupPath}`);
    const result: SoupResult = {
      kind: req.kind, heldout: heldout.id, ...(test ? { test: test.id } : {}), models: alone, order, steps, ingredients,
      soup: { path: soupPath, sha256, heldout: sh.accuracy, heldoutLoss: sh.loss, ...(st ? { test: st.accuracy, testLoss: st.loss } : {}), ...(mergeRunDir ? { mergeRunDir } : {}) },
      seconds: (Date.now() - started) / 1000,
    };
    if (run) {
      result.runDir = run.dir;
      await writeAtomic(path.join(run.dir, 'eval.json'), `${JSON.stringify(result, null, 2)}\n`);
      const inputs = await hashInputs(req.models.map((m) => m.path), o.workspace, ctx.signal);
      await run.finish('succeeded', { accuracy: st?.accuracy ?? sh.accuracy, inputs: inputs.map((i) => i.path), hashes: inputs, outputs: [soupPath] });
    }
    return result;
  } catch (e) {
    await run?.finish(ctx.signal.aborted ? 'cancelled' : 'failed', ctx.signal.aborted ? {} : { error: (e as Error).message }).catch(() => {});
    throw e;
  }
}
