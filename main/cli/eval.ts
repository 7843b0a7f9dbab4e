// `merge-studio eval MODEL --dataset mnist:test [--json]`: accuracy, loss and per-class accuracy.
// MODEL is an .onnx model, or weights (.safetensors, .pt/.pth/.bin/.ckpt, sharded safetensors) made
// runnable with `--arch A` (a built-in architecture with PyTorch names) or `--graph G.onnx` (G's graph
// with its initializers replaced by the weights of the same names).
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inferredOptions } from '../engine/architecture-graph';
import { loadDataset, type Dataset } from '../engine/data';
import { evaluateModel } from '../engine/evaluate';
import { openModel } from '../engine/formats/registry';
import { onnxWriter } from '../engine/formats/onnx';
import type { ModelSource, TensorInfo, TensorSpec } from '../engine/formats/types';
import { ModelFileError } from '../engine/formats/types';
import { getArchitecture, inferenceModel, listArchitectures, type StateDict } from '../engine/models';
import { encodeModel } from '../engine/onnx/proto';
import { fromFloat32, isFloatDType, toFloat32 } from '../engine/tensor/dtypes';
import { checkpointModel } from '../engine/train';
import { CliError, type CliCommand } from './common';
import { inTerminal, isCancelled } from './progress';
import { parseHidden } from './train';

const HIDDEN_ARCHS = ['mlp'];
const WIDTH_ARCHS = ['vgg', 'resnet'];

async function readBytes(info: TensorInfo): Promise<Uint8Array> {
  const b = await info.read();
  return Buffer.isBuffer(b) || b.byteOffset % 8 !== 0 ? new Uint8Array(b) : b;
}

/** Weights of any format + a built-in architecture → ONNX bytes. */
async function archModel(file: string, src: ModelSource, arch: string, given: { hidden?: number[]; width?: number }, d: Dataset): Promise<Uint8Array> {
  const meta = src.metadata;
  // sizes: as given, else as recorded by our checkpoints (when of this architecture), else read off the shapes
  let recorded: { hidden?: number[]; width?: number } | undefined;
  try { recorded = meta.config && (!meta.arch || meta.arch === arch) ? JSON.parse(meta.config) as { hidden?: number[]; width?: number } : undefined; } catch { recorded = undefined; }
  const sizes = { ...(recorded ? { hidden: recorded.hidden, width: recorded.width } : inferredOptions(arch, src.tensors)), ...given };
  for (const k of ['hidden', 'width'] as const) if (sizes[k] === undefined) delete sizes[k];
  if (src.format === 'safetensors' && !file.endsWith('.index.json')) {
    return encodeModel(await checkpointModel(file, {
      arch, ...sizes,
      ...(meta.input_shape ? {} : { inputShape: d.inputShape }),
      ...(meta.num_classes ? {} : { numClasses: d.numClasses }),
    }));
  }
  // other formats (PyTorch zip, sharded safetensors, ONNX initializers): a state dict by name
  const g = getArchitecture(arch).build({ inputShape: d.inputShape, numClasses: d.numClasses, ...sizes });
  const byName = new Map(src.tensors.map((t) => [t.name, t]));
  const state: StateDict = new Map();
  for (const t of g.tensors) {
    const info = byName.get(t.name);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!info) {
      if (t.role === 'num_batches_tracked') { state.set(t.name, { shape: t.shape, data: new BigInt64Array(1) }); continue; }
      throw new ModelFileError(file, `has no tensor "${t.name}", which ${arch} needs`, `give the architecture and options it was trained with, or --graph G.onnx`);
    }
    const infoN = info.shape.reduce((a, b) => a * b, 1);
    if (infoN !== n || (t.shape.length > 0 && info.shape.join('x') !== t.shape.join('x'))) {
      throw new ModelFileError(file, `tensor "${t.name}" has shape [${info.shape.join(', ')}], ${arch} needs [${t.shape.join(', ')}]`,
        arch === 'mlp' ? 'check --hidden' : WIDTH_ARCHS.includes(arch) ? 'check --width' : 'check the architecture and the dataset\'s input size');
    }
    const bytes = await readBytes(info);
    if (t.dtype === 'i64') state.set(t.name, { shape: t.shape, data: BigInt64Array.from(toFloat32(bytes, info.dtype), (x) => BigInt(Math.round(x))) });
    else {
      if (!isFloatDType(info.dtype)) throw new ModelFileError(file, `tensor "${t.name}" is ${info.dtype}, not floating point`);
      state.set(t.name, { shape: t.shape, data: toFloat32(bytes, info.dtype) });
    }
  }
  return encodeModel(inferenceModel(g, state, { source: file }));
}

/** G's graph with its initializers replaced by the weights of the same names, written to `out`. */
async function graphModel(file: string, src: ModelSource, graphFile: string, out: string): Promise<void> {
  const graph = await openModel(graphFile);
  try {
    if (graph.format !== 'onnx') throw new CliError(`--graph must be an ONNX model, got ${graphFile} (${graph.format})`);
    const inits = new Map(graph.tensors.map((t) => [t.name, t]));
    const pairs: { spec: TensorSpec; from: TensorInfo }[] = [];
    const unused: string[] = [];
    for (const t of src.tensors) {
      const init = inits.get(t.name);
      if (!init) { if (!t.name.endsWith('num_batches_tracked')) unused.push(t.name); continue; }
      if (init.shape.join('x') !== t.shape.join('x')) {
        throw new ModelFileError(file, `tensor "${t.name}" has shape [${t.shape.join(', ')}], the graph ${graphFile} needs [${init.shape.join(', ')}]`, 'give the graph these weights were trained with');
      }
      if (init.dtype !== t.dtype && !(isFloatDType(init.dtype) && isFloatDType(t.dtype))) {
        throw new ModelFileError(file, `tensor "${t.name}" is ${t.dtype}, the graph ${graphFile} has ${init.dtype}`);
      }
      pairs.push({ spec: { name: t.name, dtype: init.dtype, shape: init.shape }, from: t });
    }
    if (!pairs.length) throw new CliError(`${file}: none of its tensor names is an initializer of ${graphFile}; give the graph these weights belong to`);
    if (unused.length) {
      throw new CliError(`${file}: ${unused.length} tensor${unused.length > 1 ? 's' : ''} (${unused.slice(0, 3).map((n) => `"${n}"`).join(', ')}${unused.length > 3 ? ', …' : ''}) ${unused.length > 1 ? 'are' : 'is'} not in ${graphFile}; give the graph these weights belong to`);
    }
    const w = await onnxWriter.begin(out, pairs.map((p) => p.spec), { graphFrom: graphFile });
    try {
      for (const { spec, from } of pairs) {
        const bytes = await readBytes(from);
        await w.writeTensor(spec.name, from.dtype === spec.dtype ? bytes : fromFloat32(toFloat32(bytes, from.dtype), spec.dtype));
      }
      await w.finish();
    } catch (e) {
      await w.abort().catch(() => {});
      throw e;
    }
  } finally {
    await graph.close();
  }
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
            await graphModel(file, src, graphFile, model);
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
