// Alignment jobs: align models to a reference and write them (same format) with alignment.json; interpolation
// curves per alignment; the layer-matching table. The CLI's `align` and `curve` and the Align screen call these.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  alignedCurves, alignedName, alignedSource, alignNets, loadOther, matchLayers, renamedSource, writeSource,
  type AlignedCurves, type AlignmentReport, type LayerMatch,
} from '../../align';
import type { AlignRequest, CurveRequest } from '../../align/schema';
import { CurveRequestSchema } from '../../align/schema';
import { loadDataset } from '../../data';
import type { Dataset } from '../../data/types';
import { writeFileAtomic } from '../../files/writeAtomic';
import { openModel } from '../../formats/registry';
import { loadNet } from '../../models/load-net';
import { hashInputs } from '../../compare/hashes';
import { asRun } from '../../workspace/as-run';
import { refuseExisting } from '../../workspace/output-guard';
import { namesOf, runLabel } from '../../workspace/run-label';
import type { JobContext } from '../../job-context';

export interface AlignJobResult {
  report: AlignmentReport;
  outputs: string[];
  alignmentFile: string;
  layers: LayerMatch[];
  /** The run's folder, when the workspace records it. */
  runDir?: string;
}

/** Where a job is recorded: <workspace>/runs/ (none for a library call that names its output folder). */
export interface JobRunOptions { workspace?: string }

/** The sample for activation matching / repair when none is named: an MNIST curve samples mnist:train. */
export function defaultSampleSpec(evalSpec: string): string {
  return /^mnist:(test|all)\b/.test(evalSpec) ? evalSpec.replace(/^mnist:(test|all)/, 'mnist:train') : evalSpec;
}

export function alignTitle(r: AlignRequest): string {
  return `Align ${r.others.length} model${r.others.length === 1 ? '' : 's'} to ${path.basename(r.reference)} (${r.method})`;
}

/** The files an alignment writes into `dir`: each other model aligned, then alignment.json. */
function alignFiles(r: AlignRequest, dir: string): { models: string[]; report: string } {
  return { models: r.others.map((o) => path.join(dir, alignedName(o))), report: path.join(dir, 'alignment.json') };
}

/**
 * Aligns the other models to the reference and writes them (same format) with alignment.json: into the run's
 * own folder, or into `outDir` (files that exist there are refused unless `overwrite`). Recorded as an align
 * run with the inputs' SHA-256.
 */
export async function runAlign(r: AlignRequest, ctx: JobContext, o: JobRunOptions = {}): Promise<AlignJobResult> {
  if (!r.outDir && !o.workspace) throw new Error('an alignment needs an output folder or a workspace whose run folder it writes into');
  if (r.outDir) {
    const planned = alignFiles(r, r.outDir);
    refuseExisting([...planned.models, planned.report], r.overwrite);
  }
  const inputs = [r.reference, ...r.others];
  const start = {
    kind: 'align' as const, label: runLabel('align', `${namesOf(r.others)} to ${namesOf([r.reference])} (${r.method})`),
    method: r.method, inputs: inputs.map((p) => ({ path: p })), ...(r.outDir ? { outDir: path.resolve(r.outDir) } : {}),
  };
  return asRun({ workspace: o.workspace, slug: `align-${path.parse(r.reference).name}`, settings: r, start }, ctx, async (run, log) => {
    const netOptions = { arch: r.arch, graph: r.graph };
    const reference = await loadNet(r.reference, netOptions);
    const loaded = [];
    for (let i = 0; i < r.others.length; i++) loaded.push(await loadOther(reference, r.others[i], { ...netOptions, rename: r.rename?.[i] }));
    let dataset: Dataset | undefined;
    if (r.method === 'activation') {
      if (!r.dataset) throw new Error('activation matching needs a data sample: give a dataset (e.g. mnist:train)');
      dataset = await loadDataset(r.dataset, ctx);
    }
    const { states, report } = await alignNets(reference, loaded.map((l) => l.net), { method: r.method, dataset, samples: r.samples, seed: r.seed, threads: r.threads }, ctx);
    const outDir = r.outDir ?? run!.dir;
    await mkdir(outDir, { recursive: true });
    const files = alignFiles(r, outDir);
    for (let i = 0; i < loaded.length; i++) {
      const src = await openModel(r.others[i]);
      try {
        const named = loaded[i].renames ? renamedSource(src, loaded[i].renames!) : src;
        await writeSource(alignedSource(named, states[i], loaded[i].net.state, `aligned to ${reference.file}`), files.models[i], {
          'merge_studio.aligned_to': path.basename(r.reference), 'merge_studio.alignment': r.method,
        });
        log(`wrote ${files.models[i]}`);
      } finally {
        await src.close();
      }
    }
    await writeFileAtomic(files.report, `${JSON.stringify({ ...report, outputs: files.models }, null, 2)}\n`);
    const hashed = await hashInputs(inputs, o.workspace, ctx.signal);
    return {
      result: { report, outputs: files.models, alignmentFile: files.report, layers: loaded.map((l) => l.layers), ...(run ? { runDir: run.dir } : {}) },
      record: { outputs: files.models, alignment: files.report, inputs: hashed.map((h) => ({ path: h.path, sha256: h.sha256 })) },
    };
  });
}

export function curveTitle(r: CurveRequest): string {
  return `Curve ${path.basename(r.a)} ↔ ${path.basename(r.b)} on ${r.dataset}`;
}

export type CurveJobResult = AlignedCurves & { dataset: string; sampleDataset?: string; runDir?: string };

/** Interpolation curves A→B per alignment, recorded as a curve run (eval.json holds the curves). */
export async function runCurve(raw: CurveRequest, ctx: JobContext, o: JobRunOptions = {}): Promise<CurveJobResult> {
  const r = CurveRequestSchema.parse(raw);
  const start = {
    kind: 'curve' as const, label: runLabel('curve', `${namesOf([r.a])} ↔ ${namesOf([r.b])} on ${r.dataset}`),
    dataset: r.dataset, inputs: [{ path: r.a }, { path: r.b }],
  };
  return asRun({ workspace: o.workspace, slug: `curve-${path.parse(r.a).name}`, settings: r, start }, ctx, async (run, log) => {
    const netOptions = { arch: r.arch, graph: r.graph };
    const a = await loadNet(r.a, netOptions);
    const { net: b } = await loadOther(a, r.b, { ...netOptions, rename: r.rename });
    const data = await loadDataset(r.dataset, ctx);
    const needsSample = r.aligns.includes('activation') || r.repair !== 'none';
    const sampleSpec = needsSample ? (r.sampleDataset ?? defaultSampleSpec(r.dataset)) : undefined;
    if (sampleSpec && sampleSpec === r.dataset) log(`note: activation matching / repair sample the evaluation data itself (${r.dataset}); give a training sample to keep them apart`);
    const sample = sampleSpec ? await loadDataset(sampleSpec, ctx) : undefined;
    const curves = await alignedCurves(a, b, data, { aligns: r.aligns, steps: r.steps, repair: r.repair, sample, samples: r.samples, seed: r.seed, threads: r.threads }, ctx);
    const result: CurveJobResult = { ...curves, dataset: r.dataset, ...(sampleSpec ? { sampleDataset: sampleSpec } : {}), ...(run ? { runDir: run.dir } : {}) };
    if (run) await writeFileAtomic(path.join(run.dir, 'eval.json'), `${JSON.stringify(result, null, 2)}\n`);
    const hashed = await hashInputs([r.a, r.b], o.workspace, ctx.signal);
    return { result, record: { barriers: curves.barriers, inputs: hashed.map((h) => ({ path: h.path, sha256: h.sha256 })) } };
  });
}

/** The Align screen's table: every reference tensor against each other model's (headers only). */
export async function layerTable(reference: string, others: string[], rename: Record<string, string>[] = []): Promise<LayerMatch[]> {
  const ref = await openModel(reference);
  try {
    const out: LayerMatch[] = [];
    for (let i = 0; i < others.length; i++) {
      const src = await openModel(others[i]);
      try { out.push(matchLayers(ref.tensors, src.tensors, { rename: rename[i] })); } finally { await src.close(); }
    }
    return out;
  } finally {
    await ref.close();
  }
}
