// Aligning models to a reference: open every model as a graph + state (models/load-net.ts), line up the other
// models' tensors with the reference's (layer matching), derive the permutation spec from the reference's graph,
// and permute each other model onto the reference by weight or activation matching. What `merge-studio align`,
// the Align screen, recipes' `align:` key and the curve all call.
import { openModel } from '../formats/registry';
import { ModelFileError, type ModelSource } from '../formats/types';
import type { Dataset } from '../data/types';
import { silentContext, type JobContext } from '../job-context';
import { loadNet, sameLayout, type Net, type NetOptions } from '../models/load-net';
import { readStateFrom } from '../models/weights';
import type { StateDict } from '../models/types';
import { identityPermutations, permuteState, type Permutations } from './apply';
import { activationMatching, type ActivationMatchingOptions } from './activation-matching';
import { matchLayers, renamesOf, type LayerMatch } from './layer-match';
import { derivePermutationSpec, type PermutationSpec } from './spec';
import { summarize, weightMatching, type GroupSummary } from './weight-matching';

import type { AlignMethod } from './methods';

export { ALIGN_METHODS, type AlignMethod } from './methods';

export interface AlignOptions {
  method: AlignMethod;
  /** Activation matching's data sample. */
  dataset?: Dataset;
  samples?: number;
  similarity?: ActivationMatchingOptions['similarity'];
  /** Weight matching's group order seed. */
  seed?: number;
  maxIter?: number;
  threads?: number;
}

export interface ModelAlignment {
  file: string;
  method: AlignMethod;
  iterations: number;
  groups: GroupSummary[];
  distance: { before: number; after: number };
  perms: Record<string, number[]>;
}

export interface AlignmentReport {
  reference: string;
  method: AlignMethod;
  spec: {
    groups: { name: string; size: number; producers: string[]; axes: { tensor: string; axis: number; block: number; role: string }[] }[];
    fixed: PermutationSpec['fixed'];
    unsupported: PermutationSpec['unsupported'];
  };
  models: ModelAlignment[];
  seconds: number;
}

/** A source whose tensors carry the reference's names (other's name → reference's name). */
export function renamedSource(src: ModelSource, renames: Map<string, string>): ModelSource {
  return { ...src, tensors: src.tensors.map((t) => (renames.has(t.name) ? { ...t, name: renames.get(t.name)! } : t)), close: () => src.close() };
}

export interface OtherOptions extends NetOptions {
  /** Layer matching edits: reference name → this model's tensor. */
  rename?: Record<string, string>;
}

/**
 * Another model read into the reference's graph: as its own net when it has one with the reference's layout,
 * else by layer matching (names, then order and shape). Throws naming the first mismatch.
 */
export async function loadOther(reference: Net, file: string, o: OtherOptions = {}): Promise<{ net: Net; layers: LayerMatch; renames?: Map<string, string> }> {
  const src = await openModel(file);
  try {
    const layers = matchLayers(reference.graph.tensors, src.tensors, { rename: o.rename });
    const needed = layers.rows.filter((r) => !r.reference.endsWith('num_batches_tracked'));
    const complete = needed.every((r) => r.status === 'matched' || r.status === 'renamed');
    const ownGraph = src.format === 'onnx' || (!!src.metadata.arch && src.metadata.arch !== 'onnx') || o.arch || o.graph;
    let ownMismatch: string | null = null;
    if (ownGraph && !o.rename) {
      const own = await loadNet(file, o).catch((e: Error) => e);
      if (!(own instanceof Error)) {
        ownMismatch = sameLayout(reference, own);
        if (!ownMismatch) return { net: own, layers };
      } else if (!complete) throw own;
    }
    if (!complete) {
      const bad = needed.find((r) => r.status !== 'matched' && r.status !== 'renamed')!;
      const why = ownMismatch ?? (bad.status === 'shape differs'
        ? `tensor "${bad.reference}" is [${bad.shape.join(', ')}] in ${reference.file} but its match "${bad.other}" is [${bad.otherShape!.join(', ')}]`
        : `no tensor of ${file} lines up with "${bad.reference}" [${bad.shape.join(', ')}] of ${reference.file}`);
      throw new ModelFileError(file, `is not the same architecture as the reference: ${why}`, 'align models of one architecture (same layers and shapes)');
    }
    const renames = renamesOf(layers);
    const state = await readStateFrom(file, renamedSource(src, renames), reference.graph.tensors, `the reference's graph (${reference.file})`);
    return { net: { file, graph: reference.graph, state }, layers, renames };
  } finally {
    await src.close();
  }
}

/** Permutations of `other` onto `reference` by `method` ('none': identity). */
export async function matchModels(spec: PermutationSpec, reference: Net, other: StateDict, o: AlignOptions, ctx: JobContext = silentContext()): Promise<{ perms: Permutations; iterations: number; groups: GroupSummary[]; distance: { before: number; after: number } }> {
  if (o.method === 'weight') return weightMatching(spec, reference.state, other, { seed: o.seed, maxIter: o.maxIter, threads: o.threads }, ctx);
  if (o.method === 'activation') {
    if (!o.dataset) throw new Error('activation matching needs a data sample: give a dataset (e.g. mnist:train)');
    return activationMatching(spec, reference.graph, reference.state, other, o.dataset, { samples: o.samples, similarity: o.similarity, threads: o.threads }, ctx);
  }
  const perms = identityPermutations(spec);
  return { perms, iterations: 0, ...summarize(spec, reference.state, other, perms) };
}

/** Aligns every other net to the reference: their permuted states and a report (alignment.json). */
export async function alignNets(reference: Net, others: Net[], o: AlignOptions, ctx: JobContext = silentContext()): Promise<{ states: StateDict[]; report: AlignmentReport; spec: PermutationSpec }> {
  const started = Date.now();
  for (const other of others) {
    const mismatch = sameLayout(reference, other);
    if (mismatch) throw new Error(`cannot align ${other.file} to ${reference.file}: ${mismatch}`);
  }
  const spec = await derivePermutationSpec(reference);
  for (const u of spec.unsupported) ctx.log(`alignment: ${u.opType} node ${u.node}: ${u.message}; that axis is left unpermuted`);
  const states: StateDict[] = [];
  const models: ModelAlignment[] = [];
  for (const other of others) {
    ctx.log(`aligning ${other.file} to ${reference.file} (${o.method} matching, ${spec.groups.length} permutation groups)`);
    const r = await matchModels(spec, reference, other.state, o, ctx);
    states.push(o.method === 'none' ? other.state : permuteState(other.state, spec, r.perms));
    models.push({ file: other.file, method: o.method, iterations: r.iterations, groups: r.groups, distance: r.distance, perms: Object.fromEntries(Object.entries(r.perms).map(([k, v]) => [k, Array.from(v)])) });
    const moved = r.groups.reduce((k, g) => k + g.moved, 0);
    ctx.log(`${other.file}: ${moved} units moved; distance to the reference ${r.distance.before.toFixed(2)} → ${r.distance.after.toFixed(2)}`);
  }
  const report: AlignmentReport = {
    reference: reference.file,
    method: o.method,
    spec: {
      groups: spec.groups.map((g) => ({ name: g.name, size: g.size, producers: g.producers, axes: g.axes.map((x) => ({ tensor: x.tensor, axis: x.axis, block: x.block, role: x.role })) })),
      fixed: spec.fixed,
      unsupported: spec.unsupported,
    },
    models,
    seconds: (Date.now() - started) / 1000,
  };
  return { states, report, spec };
}
