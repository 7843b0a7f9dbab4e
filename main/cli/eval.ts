// `merge-studio eval MODEL --dataset mnist:test [--json]`: accuracy, loss and per-class accuracy.
// MODEL is an .onnx model, or weights (.safetensors, .pt/.pth/.bin/.ckpt, sharded safetensors) made
// runnable with `--arch A` (a built-in architecture with PyTorch names) or `--graph G.onnx` (G's graph
// with its initializers replaced by the weights of the same names).
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDataset, type Dataset } from '../engine/data';
import { evaluateModel } from '../engine/evaluate';
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
  usage: 'eval MODEL --dataset SPEC [--json]',
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
  --json                           print {accuracy, loss, n, per_class}`,
  options: {
    dataset: { type: 'string' }, 'batch-size': { type: 'string' }, json: { type: 'boolean' },
    arch: { type: 'string' }, graph: { type: 'string' }, hidden: { type: 'string' }, width: { type: 'string' },
  },
  async run(values, positionals) {
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
