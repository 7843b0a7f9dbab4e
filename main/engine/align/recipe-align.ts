// A recipe's `align:` key, for the merge executor: the other models are aligned to the first in memory and
// handed to the merge as opened sources (their files are never rewritten; the parents' hashes stay those of the
// files), and, with `repair`, the merged model's BatchNorm statistics are recomputed (update_bn) or REPAIR-ed
// before it is written: the output writer holds the merged tensors, repairs them, then writes.
import type { Dataset } from '../data/types';
import { loadDataset } from '../data';
import type { FormatWriter, TensorSpec, TensorWriteSession, WriteOptions } from '../formats/types';
import type { JobContext } from '../job-context';
import type { MergeIO } from '../formats/model-io';
import { loadNet, type Net } from '../models/load-net';
import type { StateDict } from '../models/types';
import { fromFloat32, toFloat32 } from '../tensor/dtypes';
import { alignNets, loadOther, renamedSource, type AlignMethod, type AlignmentReport } from './align';
import { alignedSource } from './aligned-source';
import { hasBatchNorm, layerStatistics, mixStats, repairState, resetBatchNorm, type RepairMethod } from './repair';

/** The recipe's `align:` block (validated by merge/recipe.ts). */
export interface RecipeAlign {
  method: AlignMethod;
  dataset?: string;
  samples?: number;
  seed?: number;
  repair?: RepairMethod;
  arch?: string;
  graph?: string;
  /** Layer matching edits: for model `model` (recipe index ≥ 1), reference name → its tensor name. */
  rename?: { model: number; map: Record<string, string> }[];
  /** Tensors kept from the first model (not merged). */
  exclude?: string[];
}

export interface PreparedAlignment {
  io: MergeIO;
  report: AlignmentReport;
  repair: RepairMethod;
}

/** The repair to apply: as asked, else update_bn when the models have BatchNorm and a dataset is given. */
export function repairFor(a: RecipeAlign, graphHasBatchNorm: boolean): RepairMethod {
  return a.repair ?? (a.dataset && graphHasBatchNorm ? 'reset' : 'none');
}

/** Buffers the merged tensors, repairs them at finish(), then writes them with the real writer. */
function repairingWriter(base: FormatWriter, repair: (state: StateDict) => Promise<StateDict>, reference: Net): FormatWriter {
  return {
    id: base.id,
    extensions: base.extensions,
    lateMetadata: base.lateMetadata,
    async begin(path: string, specs: TensorSpec[], options: WriteOptions = {}): Promise<TensorWriteSession> {
      const held = new Map<string, Uint8Array>();
      const byName = new Map(specs.map((s) => [s.name, s]));
      let real: TensorWriteSession | undefined;
      return {
        async writeTensor(name, data) { held.set(name, data.slice()); }, // the executor reuses its buffers
        async finish(final) {
          const state: StateDict = new Map();
          const aliasOf = new Map<string, string>();
          for (const g of options.tied ?? []) for (const n of g.slice(1)) aliasOf.set(n, g[0]);
          for (const t of reference.graph.tensors) {
            const name = held.has(t.name) ? t.name : aliasOf.get(t.name);
            const bytes = name ? held.get(name) : undefined;
            const spec = name ? byName.get(name) : undefined;
            if (!bytes || !spec) throw new Error(`BatchNorm repair: the merged model has no tensor "${t.name}" (excluded?); merge it or turn repair off`);
            state.set(t.name, { shape: t.shape, data: spec.dtype === 'i64' ? new BigInt64Array(bytes.slice().buffer) : toFloat32(bytes, spec.dtype) });
          }
          const repaired = await repair(state);
          const metadata = final?.metadata ?? options.metadata;
          real = await base.begin(path, specs, { ...options, metadata });
          const aliases = new Set((options.tied ?? []).flatMap((g) => g.slice(1)));
          for (const s of specs) {
            if (aliases.has(s.name)) continue;
            const r = repaired.get(s.name);
            const changed = r && r !== state.get(s.name);
            await real.writeTensor(s.name, changed ? (r.data instanceof BigInt64Array ? new Uint8Array(r.data.buffer.slice(0)) : fromFloat32(r.data, s.dtype)) : held.get(s.name)!);
          }
          return base.lateMetadata ? real.finish(final) : real.finish();
        },
        async abort() { held.clear(); if (real) await real.abort(); },
      };
    },
  };
}

/** Aligns the recipe's models and returns the IO the merge reads them (and writes the output) through. */
export async function prepareAlignment(models: { path: string; weight: number }[], a: RecipeAlign, base: MergeIO, ctx: JobContext): Promise<PreparedAlignment> {
  if (models.length < 2) throw new Error('align: needs at least two models (the first is the reference)');
  const netOptions = { arch: a.arch, graph: a.graph };
  const reference = await loadNet(models[0].path, netOptions);
  const others: Awaited<ReturnType<typeof loadOther>>[] = [];
  for (let i = 1; i < models.length; i++) others.push(await loadOther(reference, models[i].path, { ...netOptions, rename: a.rename?.find((r) => r.model === i)?.map }));
  const repair = repairFor(a, hasBatchNorm(reference.graph));
  let data: Dataset | undefined;
  if (a.method === 'activation' || repair !== 'none') {
    if (!a.dataset) throw new Error(`align: ${a.method === 'activation' ? 'activation matching' : `repair: ${repair}`} needs a dataset (align.dataset, e.g. mnist:train)`);
    data = await loadDataset(a.dataset, ctx);
  }
  const { states, report } = await alignNets(reference, others.map((o) => o.net), { method: a.method, dataset: data, samples: a.samples, seed: a.seed }, ctx);
  const aligned = new Map<string, { i: number }>();
  models.slice(1).forEach((m, i) => aligned.set(m.path, { i }));
  const io: MergeIO = {
    async openModel(p) {
      const hit = aligned.get(p);
      const src = await base.openModel(p);
      if (!hit) return src;
      const o = others[hit.i];
      const named = o.renames ? renamedSource(src, o.renames) : src;
      return alignedSource(named, states[hit.i], o.net.state, `aligned to ${models[0].path} (${a.method} matching)`);
    },
    writerFor: (p) => base.writerFor(p),
  };
  if (repair !== 'none') {
    const total = models.reduce((s, m) => s + m.weight, 0);
    const weights = models.map((m) => m.weight / total);
    let fix: (s: StateDict) => Promise<StateDict>;
    if (repair === 'reset') fix = (s) => resetBatchNorm(reference.graph, s, data!, { samples: a.samples }, ctx);
    else {
      const stats = [await layerStatistics(reference.graph, reference.state, data!, { samples: a.samples })];
      for (const s of states) stats.push(await layerStatistics(reference.graph, s, data!, { samples: a.samples }));
      fix = (s) => repairState(reference.graph, s, mixStats(stats, weights), data!, { samples: a.samples }, ctx);
    }
    io.writerFor = (p) => repairingWriter(base.writerFor(p), async (s) => { ctx.log(`BatchNorm repair (${repair}) of the merged model on ${data!.id}`); return fix(s); }, reference);
  }
  return { io, report, repair };
}
