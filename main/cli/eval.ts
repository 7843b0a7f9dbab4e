// `merge-studio eval MODEL --dataset mnist:test [--json]`: accuracy, loss and per-class accuracy, recorded as an
// eval run of the workspace. MODEL is an .onnx model, one of our checkpoints, a merge of them (its architecture
// read from its parents, as `compare` does: engine/compare/models.ts), or weights (.safetensors,
// .pt/.pth/.bin/.ckpt, sharded safetensors) made runnable with `--arch A` (a built-in architecture with PyTorch
// names) or `--graph G.onnx` (G's graph with its initializers replaced by the weights of the same names).
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashInputs } from '../engine/compare/hashes';
import { loadDataset, type Dataset } from '../engine/data';
import { defaultWorkspace } from '../engine/environment';
import { writeFileAtomic } from '../engine/files/writeAtomic';
import type { JobContext } from '../engine/job-context';
import { asRun } from '../engine/workspace/as-run';
import { listOf, namesOf, runLabel } from '../engine/workspace/run-label';
import { checkClasses, resolveModel, type ResolvedModel } from '../engine/compare/models';
import { ENSEMBLE_NOTE } from '../engine/compare/note';
import { COMBINE_TEXT, ENSEMBLE_COMBINES, evaluateEnsemble, evaluateModel, type EnsembleCombine, type EvalResult } from '../engine/evaluate';
import type { ModelSource } from '../engine/formats/types';
import { openModel } from '../engine/formats/registry';
import { archWeightsFrom, inferenceModel, listArchitectures, recordedShape, writeWeightsIntoGraph, type SizeOptions } from '../engine/models';
import { encodeModel } from '../engine/onnx/proto';
import { CliError, type CliCommand } from './common';
import { inTerminal, isCancelled } from './progress';
import { parseHidden } from './train';

const HIDDEN_ARCHS = ['mlp', 'vgg'];
const WIDTH_ARCHS = ['vgg', 'resnet'];

/** Weights of any format + a built-in architecture → ONNX bytes (sizes as given, recorded, or read off the shapes). */
async function archModel(file: string, src: ModelSource, arch: string, given: SizeOptions, d: Dataset): Promise<Uint8Array> {
  const recorded = recordedShape(src);
  const { graph, state } = await archWeightsFrom(file, src, {
    arch, sizes: given, inputShape: recorded.inputShape ?? d.inputShape, numClasses: recorded.numClasses ?? d.numClasses,
  });
  return encodeModel(inferenceModel(graph, state, { source: file }));
}

export const evalCommand: CliCommand = {
  name: 'eval',
  usage: 'eval MODEL --dataset SPEC [--ensemble A,B,… [--combine probs|logits]] [--workspace-dir DIR] [--json]',
  summary: 'accuracy and loss of a model on a dataset (e.g. mnist:test)',
  help: `
MODEL is one of:
  an ONNX model (.onnx)
  a checkpoint of ours (checkpoints/epoch-NNN.safetensors: it records its architecture)
  a merge of our checkpoints (it runs as the architecture of the models it was merged from)
  weights (.safetensors, .pt/.pth/.bin/.ckpt) with
    --arch smallcnn|mlp|vgg|resnet [--hidden 512,512] [--width N]   a built-in architecture (PyTorch names);
                                   hidden widths / width are read off the weights when not given
    --graph G.onnx                 G's graph with its initializers replaced by the weights of the same names
Options:
  --dataset SPEC (mnist:test)  --batch-size B (256)
  --ensemble A,B,…                 also (or only: MODEL may be left out) score the ensemble of these models —
                                   the average of their predicted probabilities — and each member; --arch and
                                   --graph apply to the members that need them
  --combine probs|logits           how --ensemble combines its members: the mean of their predicted
                                   probabilities (probs, the default), or the softmax of the mean of their
                                   logits (logits: what a merge of linear models computes exactly)
  --workspace-dir DIR              where the run is recorded (default: MERGE_STUDIO_WORKSPACE or ~/MergeStudio)
  --json                           print {accuracy, loss, n, per_class, runDir} (with --ensemble: {model?, ensemble, members, agreement, runDir})`,
  example: 'eval tests/fixtures/merge/cnn_0.onnx --dataset mnist:test --workspace-dir out/examples/workspace',
  options: {
    dataset: { type: 'string' }, 'batch-size': { type: 'string' }, json: { type: 'boolean' },
    arch: { type: 'string' }, graph: { type: 'string' }, hidden: { type: 'string' }, width: { type: 'string' }, ensemble: { type: 'string' },
    combine: { type: 'string' }, 'workspace-dir': { type: 'string' },
  },
  async run(values, positionals) {
    if (values.ensemble !== undefined) return evalEnsemble(values, positionals);
    if (values.combine !== undefined) throw new CliError('--combine goes with --ensemble');
    if (positionals.length !== 1) throw new CliError('give exactly one model');
    const file = positionals[0];
    const spec = (values.dataset as string | undefined) ?? 'mnist:test';
    const batchSize = values['batch-size'] === undefined ? 256 : Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new CliError(`--batch-size must be a positive integer`);
    const arch = values.arch as string | undefined;
    const graphFile = values.graph as string | undefined;
    if (arch !== undefined && graphFile !== undefined) throw new CliError('give either --arch or --graph, not both');
    if (arch !== undefined && !listArchitectures().some((a) => a.id === arch)) {
      throw new CliError(`unknown architecture "${arch}"; choose one of: ${listArchitectures().map((a) => a.id).join(', ')}`);
    }
    const hidden = values.hidden === undefined ? undefined : parseHidden(values.hidden as string);
    const widthText = values.width as string | undefined;
    const width = widthText === undefined ? undefined : /^\d+$/.test(widthText) && Number(widthText) > 0 ? Number(widthText) : NaN;
    if (Number.isNaN(width)) throw new CliError(`--width must be a positive integer, got "${widthText}"`);
    if (hidden && arch !== undefined && !HIDDEN_ARCHS.includes(arch)) throw new CliError(`--hidden applies to --arch ${HIDDEN_ARCHS.join('/')} only`);
    if (width !== undefined && arch !== undefined && !WIDTH_ARCHS.includes(arch)) throw new CliError(`--width applies to --arch ${WIDTH_ARCHS.join('/')} only`);
    if ((hidden || width !== undefined) && arch === undefined) throw new CliError('--hidden and --width go with --arch');

    const workspace = (values['workspace-dir'] as string | undefined) ?? defaultWorkspace();
    const settings = { model: file, dataset: spec, batchSize, ...(arch ? { arch } : {}), ...(graphFile ? { graph: graphFile } : {}), ...(hidden ? { hidden } : {}), ...(width !== undefined ? { width } : {}) };
    const start = { kind: 'eval' as const, label: runLabel('eval', `${namesOf([file])} on ${spec}`), title: `${path.basename(file)} on ${spec}`, dataset: spec, models: [{ path: file }] };
    return inTerminal('evaluating', values.json === true, 'cancelled', (ctx) => asRun({ workspace, slug: `eval-${path.parse(file).name}`, settings, start }, ctx, async (run) => {
      const dataset = await loadData(spec, ctx);
      const r = await withRunnable(file, { arch, graphFile, sizes: { ...(hidden ? { hidden } : {}), ...(width !== undefined ? { width } : {}) } }, dataset, workspace, (model) => evaluateModel(model, dataset, { batchSize }, ctx));
      const result = { accuracy: r.accuracy, loss: r.loss, n: r.n, per_class: r.per_class };
      const inputs = await hashInputs([file, ...(graphFile ? [graphFile] : [])], workspace, ctx.signal);
      if (run) await writeFileAtomic(path.join(run.dir, 'eval.json'), `${JSON.stringify({ model: file, dataset: spec, ...result }, null, 2)}\n`);
      if (values.json) {
        console.log(JSON.stringify({ ...result, ...(run ? { runDir: run.dir } : {}) }, null, 2));
      } else {
        console.log(`${spec}: accuracy ${(100 * r.accuracy).toFixed(2)} %, loss ${r.loss.toFixed(4)} on ${r.n} examples`);
        for (const c of r.per_class) console.log(`  class ${c.name.padEnd(6)} ${(100 * c.accuracy).toFixed(1).padStart(5)} % of ${c.n}`);
        if (run) console.log(`run recorded in ${run.dir}`);
      }
      return { result: 0, record: { accuracy: r.accuracy, loss: r.loss, n: r.n, inputs: inputs.map((h) => ({ path: h.path, sha256: h.sha256 })) } };
    }));
  },
};

const LOGITS_NOTE = 'The ensemble of logits is the softmax of the mean of the members\' logits: for a linear model (softmax regression) exactly what the merge of their weights computes; once there is a nonlinearity (an MLP\'s ReLUs) the merge\'s logits are no longer the mean of the logits.';
/** The dataset, or a bad-input error that names --dataset. */
async function loadData(spec: string, ctx: JobContext): Promise<Dataset> {
  try {
    return await loadDataset(spec, ctx);
  } catch (e) {
    if (isCancelled(e)) throw e;
    throw new CliError(`--dataset: ${(e as Error).message.split('\n')[0]}`);
  }
}

interface Runnable { arch?: string; graphFile?: string; sizes: SizeOptions }

/**
 * `use` called with what onnxruntime runs for `file`: with --graph, G's graph holding the weights; with --arch,
 * the built-in architecture; otherwise as a comparison resolves it (ONNX as it is, our checkpoints by their
 * recorded architecture, a merge by its parents' — engine/compare/models.ts).
 */
async function withRunnable<T>(file: string, o: Runnable, dataset: Dataset, workspace: string, use: (model: string | Uint8Array) => Promise<T>): Promise<T> {
  if (o.graphFile !== undefined) {
    const tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'merge-studio-eval-'));
    try {
      const model = path.join(tmpDir, 'model.onnx');
      const src = await openModel(file);
      try { await writeWeightsIntoGraph(file, src, o.graphFile, model); } finally { await src.close(); }
      return await use(model);
    } finally {
      await fsp.rm(tmpDir, { recursive: true, force: true }).catch(() => {});
    }
  }
  if (o.arch !== undefined) {
    const src = await openModel(file);
    let model: Uint8Array;
    try { model = await archModel(file, src, o.arch, o.sizes, dataset); } finally { await src.close(); }
    return use(model);
  }
  let resolved: ResolvedModel;
  try {
    resolved = await resolveModel({ path: file }, dataset, workspace);
  } catch (e) {
    // the file cannot say how it runs: the options that tell it, by name
    if (/cannot run/.test((e as Error).message)) throw new CliError(`${file} holds weights only and says no architecture; give --arch ${listArchitectures().map((a) => a.id).join('|')} or --graph G.onnx`);
    throw e;
  }
  for (const n of resolved.notes) console.error(`note: ${n}`);
  return use(resolved.model);
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const brief = (r: EvalResult) => ({ accuracy: r.accuracy, loss: r.loss, n: r.n, per_class: r.per_class });

/** `eval [MODEL] --ensemble A,B,… [--combine probs|logits]`: the members, their ensemble and MODEL beside it. */
async function evalEnsemble(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const members = String(values.ensemble).split(',').map((x) => x.trim()).filter(Boolean);
  if (members.length < 2) throw new CliError('--ensemble needs two or more models, separated by commas');
  if (positionals.length > 1) throw new CliError('give at most one model beside --ensemble');
  if (values.hidden !== undefined || values.width !== undefined) throw new CliError('--hidden and --width do not apply with --ensemble: sizes are read off the weights');
  const spec = (values.dataset as string | undefined) ?? 'mnist:test';
  const arch = values.arch as string | undefined, graph = values.graph as string | undefined;
  if (arch && graph) throw new CliError('give either --arch or --graph, not both');
  const combine = (values.combine as string | undefined) ?? 'probs';
  if (!(ENSEMBLE_COMBINES as readonly string[]).includes(combine)) throw new CliError(`--combine must be one of ${ENSEMBLE_COMBINES.join(', ')}, got "${combine}"`);
  const how = COMBINE_TEXT[combine as EnsembleCombine];
  const workspace = (values['workspace-dir'] as string | undefined) ?? defaultWorkspace();
  const all = [...members, ...(positionals[0] ? [positionals[0]] : [])];
  const settings = { ensemble: members, combine, ...(positionals[0] ? { model: positionals[0] } : {}), dataset: spec, ...(arch ? { arch } : {}), ...(graph ? { graph } : {}) };
  const start = { kind: 'eval' as const, label: runLabel('eval', `ensemble of ${listOf(members.map((m) => path.parse(m).name))} on ${spec}`), title: `ensemble of ${members.length} models on ${spec}`, dataset: spec, models: all.map((p) => ({ path: p })) };
  return inTerminal('evaluating', values.json === true, 'cancelled', (ctx) => asRun({ workspace, slug: 'eval-ensemble', settings, start }, ctx, async (run) => {
    const dataset = await loadData(spec, ctx);
    const ref = (p: string) => ({ path: p, ...(arch ? { arch } : {}), ...(graph ? { graph } : {}) });
    const resolved: ResolvedModel[] = [];
    for (const p of members) resolved.push(await resolveModel(ref(p), dataset, workspace));
    const r = await evaluateEnsemble(resolved.map((m) => m.model), dataset, { combine: combine as EnsembleCombine }, ctx);
    // confusion is K×K with K = max(classes, outputs): a bigger K means more outputs than the data has classes
    r.members.forEach((m, i) => checkClasses(resolved[i].label, m.confusion.length, dataset));
    const single = positionals[0] ? await evaluateModel((await resolveModel(ref(positionals[0]), dataset, workspace)).model, dataset, {}, ctx) : undefined;
    const report = {
      ...(single ? { model: { path: positionals[0], ...brief(single) } } : {}),
      ensemble: { members, combine: how, ...brief(r.ensemble) },
      members: r.members.map((m, i) => ({ path: members[i], ...brief(m) })),
      agreement: r.agreement,
    };
    const inputs = await hashInputs([...all, ...(graph ? [graph] : [])], workspace, ctx.signal);
    if (run) await writeFileAtomic(path.join(run.dir, 'eval.json'), `${JSON.stringify({ dataset: spec, ...report }, null, 2)}\n`);
    if (values.json) {
      console.log(JSON.stringify({ ...report, ...(run ? { runDir: run.dir } : {}) }, null, 2));
    } else {
      r.members.forEach((m, i) => console.log(`${resolved[i].label}: accuracy ${pct(m.accuracy)}, loss ${m.loss.toFixed(4)}`));
      console.log(`ensemble (${how}): accuracy ${pct(r.ensemble.accuracy)}, loss ${r.ensemble.loss.toFixed(4)} on ${r.ensemble.n} examples of ${spec}`);
      if (single) console.log(`${positionals[0]}: accuracy ${pct(single.accuracy)}, loss ${single.loss.toFixed(4)}`);
      console.log(`note: ${combine === 'probs' ? ENSEMBLE_NOTE : LOGITS_NOTE}`);
      if (run) console.log(`run recorded in ${run.dir}`);
    }
    return { result: 0, record: { accuracy: r.ensemble.accuracy, loss: r.ensemble.loss, n: r.ensemble.n, inputs: inputs.map((h) => ({ path: h.path, sha256: h.sha256 })) } };
  }));
}
