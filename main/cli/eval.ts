// `merge-studio eval MODEL --dataset mnist:test [--json]`: accuracy, loss and per-class accuracy.
// MODEL is an .onnx model, or weights (.safetensors, .pt/.pth/.bin/.ckpt, sharded safetensors) made
// runnable with `--arch A` (a built-in architecture with PyTorch names) or `--graph G.onnx` (G's graph
// with its initializers replaced by the weights of the same names).
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDataset, type Dataset } from '../engine/data';
import { checkClasses, resolveModel, type ResolvedModel } from '../engine/compare/models';
import { ENSEMBLE_NOTE } from '../engine/compare/note';
import { COMBINE_TEXT, ENSEMBLE_COMBINES, evaluateEnsemble, evaluateModel, type EnsembleCombine, type EvalResult } from '../engine/evaluate';
import { openModel } from '../engine/formats/registry';
import type { ModelSource } from '../engine/formats/types';
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
  usage: 'eval MODEL --dataset SPEC [--ensemble A,B,… [--combine probs|logits]] [--json]',
  summary: 'accuracy and loss of a model on a dataset (e.g. mnist:test)',
  help: `
MODEL is one of:
  an ONNX model (.onnx)
  a checkpoint of ours (checkpoints/epoch-NNN.safetensors: it records its architecture)
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
  --json                           print {accuracy, loss, n, per_class} (with --ensemble: {model?, ensemble, members, agreement})`,
  options: {
    dataset: { type: 'string' }, 'batch-size': { type: 'string' }, json: { type: 'boolean' },
    arch: { type: 'string' }, graph: { type: 'string' }, hidden: { type: 'string' }, width: { type: 'string' }, ensemble: { type: 'string' },
    combine: { type: 'string' },
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

    let tmpDir: string | undefined;
    return inTerminal('evaluating', values.json === true, 'cancelled', async (ctx) => {
      try {
        let dataset: Dataset;
        try {
          dataset = await loadDataset(spec, ctx);
        } catch (e) {
          if (isCancelled(e)) throw e;
          throw new CliError(`--dataset: ${(e as Error).message.split('\n')[0]}`);
        }
        const src = await openModel(file);
        let model: string | Uint8Array;
        try {
          if (graphFile !== undefined) {
            tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'merge-studio-eval-'));
            model = path.join(tmpDir, 'model.onnx');
            await writeWeightsIntoGraph(file, src, graphFile, model);
          } else if (arch !== undefined) {
            model = await archModel(file, src, arch, { ...(hidden ? { hidden } : {}), ...(width !== undefined ? { width } : {}) }, dataset);
          } else if (src.format === 'onnx') {
            model = file;
          } else if (src.format === 'safetensors' && src.metadata.arch && src.metadata.arch !== 'onnx') {
            model = await archModel(file, src, src.metadata.arch, {}, dataset); // our checkpoint: it names its architecture
          } else {
            throw new CliError(`${file} holds weights only (${src.format}); give --arch ${listArchitectures().map((a) => a.id).join('|')} or --graph G.onnx`);
          }
        } finally {
          await src.close();
        }
        const r = await evaluateModel(model, dataset, { batchSize }, ctx);
        if (values.json) {
          console.log(JSON.stringify({ accuracy: r.accuracy, loss: r.loss, n: r.n, per_class: r.per_class }, null, 2));
        } else {
          console.log(`${spec}: accuracy ${(100 * r.accuracy).toFixed(2)} %, loss ${r.loss.toFixed(4)} on ${r.n} examples`);
          for (const c of r.per_class) console.log(`  class ${c.name.padEnd(6)} ${(100 * c.accuracy).toFixed(1).padStart(5)} % of ${c.n}`);
        }
        return 0;
      } finally {
        if (tmpDir) await fsp.rm(tmpDir, { recursive: true, force: true }).catch(() => {});
      }
    });
  },
};

const LOGITS_NOTE = 'The ensemble of logits is the softmax of the mean of the members\' logits: for a linear model (softmax regression) exactly what the merge of their weights computes; once there is a nonlinearity (an MLP\'s ReLUs) the merge\'s logits are no longer the mean of the logits.';

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
  return inTerminal('evaluating', values.json === true, 'cancelled', async (ctx) => {
    let dataset: Dataset;
    try { dataset = await loadDataset(spec, ctx); } catch (e) {
      if (isCancelled(e)) throw e;
      throw new CliError(`--dataset: ${(e as Error).message.split('\n')[0]}`);
    }
    const ref = (p: string) => ({ path: p, ...(arch ? { arch } : {}), ...(graph ? { graph } : {}) });
    const resolved: ResolvedModel[] = [];
    for (const p of members) resolved.push(await resolveModel(ref(p), dataset));
    const r = await evaluateEnsemble(resolved.map((m) => m.model), dataset, { combine: combine as EnsembleCombine }, ctx);
    // confusion is K×K with K = max(classes, outputs): a bigger K means more outputs than the data has classes
    r.members.forEach((m, i) => checkClasses(resolved[i].label, m.confusion.length, dataset));
    const single = positionals[0] ? await evaluateModel((await resolveModel(ref(positionals[0]), dataset)).model, dataset, {}, ctx) : undefined;
    if (values.json) {
      console.log(JSON.stringify({
        ...(single ? { model: { path: positionals[0], ...brief(single) } } : {}),
        ensemble: { members, combine: how, ...brief(r.ensemble) },
        members: r.members.map((m, i) => ({ path: members[i], ...brief(m) })),
        agreement: r.agreement,
      }, null, 2));
    } else {
      r.members.forEach((m, i) => console.log(`${resolved[i].label}: accuracy ${pct(m.accuracy)}, loss ${m.loss.toFixed(4)}`));
      console.log(`ensemble (${how}): accuracy ${pct(r.ensemble.accuracy)}, loss ${r.ensemble.loss.toFixed(4)} on ${r.ensemble.n} examples of ${spec}`);
      if (single) console.log(`${positionals[0]}: accuracy ${pct(single.accuracy)}, loss ${single.loss.toFixed(4)}`);
      console.log(`note: ${combine === 'probs' ? ENSEMBLE_NOTE : LOGITS_NOTE}`);
    }
    return 0;
  });
}
