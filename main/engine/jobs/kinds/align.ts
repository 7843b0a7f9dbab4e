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
import { defaultWorkspace } from '../../environment';
import { writeFileAtomic } from '../../files/writeAtomic';
import { openModel } from '../../formats/registry';
import { loadNet } from '../../models/load-net';
import { slugOf } from '../../merge/runs';
import type { JobContext } from '../../job-context';

export interface AlignJobResult {
  report: AlignmentReport;
  outputs: string[];
  alignmentFile: string;
  layers: LayerMatch[];
}

/** The sample for activation matching / repair when none is named: an MNIST curve samples mnist:train. */
export function defaultSampleSpec(evalSpec: string): string {
  return /^mnist:(test|all)\b/.test(evalSpec) ? evalSpec.replace(/^mnist:(test|all)/, 'mnist:train') : evalSpec;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function alignTitle(r: AlignRequest): string {
  return `Align ${r.others.length} model${r.others.length === 1 ? '' : 's'} to ${path.basename(r.reference)} (${r.method})`;
}

export async function runAlign(r: AlignRequest, ctx: JobContext): Promise<AlignJobResult> {
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
  const outDir = r.outDir ?? path.join(defaultWorkspace(), 'runs', `${stamp()}-align-${slugOf(path.parse(r.reference).name)}`);
  await mkdir(outDir, { recursive: true });
  const outputs: string[] = [];
  for (let i = 0; i < loaded.length; i++) {
    const src = await openModel(r.others[i]);
    try {
      const named = loaded[i].renames ? renamedSource(src, loaded[i].renames!) : src;
      const out = path.join(outDir, alignedName(r.others[i]));
      await writeSource(alignedSource(named, states[i], loaded[i].net.state, `aligned to ${reference.file}`), out, {
        'merge_studio.aligned_to': path.basename(r.reference), 'merge_studio.alignment': r.method,
      });
      outputs.push(out);
      ctx.log(`wrote ${out}`);
    } finally {
      await src.close();
    }
  }
  const alignmentFile = path.join(outDir, 'alignment.json');
  await writeFileAtomic(alignmentFile, `${JSON.stringify({ ...report, outputs }, null, 2)}\n`);
  return { report, outputs, alignmentFile, layers: loaded.map((l) => l.layers) };
}

export function curveTitle(r: CurveRequest): string {
  return `Curve ${path.basename(r.a)} ↔ ${path.basename(r.b)} on ${r.dataset}`;
}

export async function runCurve(raw: CurveRequest, ctx: JobContext): Promise<AlignedCurves & { dataset: string; sampleDataset?: string }> {
  const r = CurveRequestSchema.parse(raw);
  const netOptions = { arch: r.arch, graph: r.graph };
  const a = await loadNet(r.a, netOptions);
  const { net: b } = await loadOther(a, r.b, { ...netOptions, rename: r.rename });
  const data = await loadDataset(r.dataset, ctx);
  const needsSample = r.aligns.includes('activation') || r.repair !== 'none';
  const sampleSpec = needsSample ? (r.sampleDataset ?? defaultSampleSpec(r.dataset)) : undefined;
  if (sampleSpec && sampleSpec === r.dataset) ctx.log(`note: activation matching / repair sample the evaluation data itself (${r.dataset}); give a training sample to keep them apart`);
  const sample = sampleSpec ? await loadDataset(sampleSpec, ctx) : undefined;
  const curves = await alignedCurves(a, b, data, { aligns: r.aligns, steps: r.steps, repair: r.repair, sample, samples: r.samples, seed: r.seed, threads: r.threads }, ctx);
  return { ...curves, dataset: r.dataset, ...(sampleSpec ? { sampleDataset: sampleSpec } : {}) };
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
