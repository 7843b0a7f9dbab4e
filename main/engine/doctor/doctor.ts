// The merge doctor (`merge-studio doctor`, the Scheme screen's Check panel): before a merge, is it sound?
//   compatibility, peak memory and time: the pre-flight (merge/preflight.ts, merge/memory-estimate.ts);
//   lineage: shared inits, the base, who needs alignment (lineage.ts, from one pass over the weights);
//   interference: per layer, TIES's sign conflicts and the task vectors' cosine (weights.ts);
//   with a dataset, a probe of the midpoints (probe.ts); and a verdict in words (verdict.ts).
import os from 'node:os';
import path from 'node:path';
import { openModel } from '../formats/registry';
import type { ModelSource } from '../formats/types';
import { throwIfCancelled, type JobContext } from '../job-context';
import { runPreflight } from '../merge/preflight';
import { checkRecipe, resolveRecipe, type Recipe } from '../merge/recipe';
import { lineageOf } from './lineage';
import { probeMidpoints } from './probe';
import type { DoctorModel, DoctorRequest, DoctorResult } from './types';
import { findingsOf } from './verdict';
import { layerInterference, weightGrams } from './weights';

/** TIES's density when the recipe sets none (merge/methods/ties.ts's default). */
const DEFAULT_DENSITY = 0.5;

/** The recipe the doctor checks: the one given, or the mean of the models (TIES with a base). */
export function doctorRecipe(r: DoctorRequest): Recipe {
  if (r.recipe) return checkRecipe(r.recipe);
  return {
    method: r.base ? 'ties' : 'mean',
    models: (r.models ?? []).map((p) => ({ path: p })),
    ...(r.base ? { base: r.base } : {}),
    // Never written: the pre-flight only needs a folder that exists for it.
    output: { path: path.join(os.tmpdir(), 'merge-studio-doctor-check.safetensors') },
  };
}

/** Distinct names for the models (file names; their folder's too where two share one). */
function namesOf(files: string[]): string[] {
  const base = files.map((f) => path.basename(f));
  return files.map((f, i) => (base.filter((b) => b === base[i]).length > 1 ? `${path.basename(path.dirname(f))}/${base[i]}` : base[i]));
}

export async function runDoctor(req: DoctorRequest, ctx: JobContext, options: { baseDir?: string } = {}): Promise<DoctorResult> {
  const started = Date.now();
  const recipe = doctorRecipe(req);
  const baseDir = req.baseDir ?? options.baseDir ?? process.cwd();
  const resolved = await resolveRecipe(recipe, baseDir);
  ctx.progress({ done: 0, total: 1, message: 'pre-flight' });
  const report = await runPreflight(recipe, { baseDir });
  const files = [...resolved.models.map((m) => m.path), ...(resolved.base ? [resolved.base] : [])];
  const names = namesOf(files);
  const models: DoctorModel[] = files.map((p, i) => ({ name: names[i], path: p, role: i < resolved.models.length ? 'model' : 'base' }));
  const density = typeof resolved.parameters.density === 'number' ? resolved.parameters.density : DEFAULT_DENSITY;
  const result: DoctorResult = {
    models,
    compatibility: { ok: report.blocking.length === 0, method: report.method, blocking: report.blocking, warnings: report.warnings, merged: report.counts.merged, copied: report.counts.copied },
    memory: {
      peak_bytes: report.peakMemoryBytes, free_bytes: os.freemem(), total_bytes: os.totalmem(), fits: report.peakMemoryBytes < os.freemem(),
      seconds: report.estimatedSeconds,
    },
    lineage: null,
    layers: [],
    density,
    findings: [],
    verdict: '',
    seconds: 0,
  };

  const sources: ModelSource[] = [];
  try {
    for (const f of files) sources.push(await openModel(f));
  } catch (e) {
    result.findings.push(`lineage not measured: ${(e as Error).message}`);
  }
  try {
    if (sources.length === files.length && files.length >= 2) {
      ctx.log(`lineage: comparing the weights of ${files.length} models`);
      const grams = await weightGrams(sources, ctx);
      if (grams.tensors === 0) result.findings.push('lineage not measured: the models have no weight matrix in common (same name and shape)');
      else {
        const givenBase = resolved.base ? files.length - 1 : undefined;
        result.lineage = lineageOf(grams.matrices, models, givenBase, grams.tensors);
        throwIfCancelled(ctx);
        const l = result.lineage;
        if (l.base) {
          const b = names.indexOf(l.base);
          const group = l.shared_init.find((g) => g.includes(l.base!)) ?? [];
          const members = models.map((m, i) => i).filter((i) => i !== b && models[i].role === 'model' && group.includes(names[i]));
          if (members.length >= 2) {
            ctx.log(`interference: task vectors of ${members.map((i) => names[i]).join(', ')} from ${l.base}, TIES density ${density}`);
            result.layers = await layerInterference(sources, b, members, density, ctx);
          }
        }
      }
    }
  } finally {
    await Promise.all(sources.map((s) => s.close().catch(() => {})));
  }
  if (req.dataset) {
    ctx.log(`probe: ${req.dataset}, ${req.samples ?? 'default'} samples`);
    const tuned = models.filter((m) => m.role === 'model');
    result.probe = await probeMidpoints(tuned, { dataset: req.dataset, samples: req.samples, align: Boolean(result.lineage?.needs_alignment.length), arch: req.arch, graph: req.graph }, ctx);
  }
  const before = result.findings;
  result.findings = [...findingsOf(result), ...before];
  result.verdict = result.findings.join('; ');
  result.seconds = (Date.now() - started) / 1000;
  return result;
}
