// Writes an ONNX model that keeps another model's graph and replaces its initializers' values,
// in one streaming pass: model fields, graph header, graph fields, kept initializers, then each
// given initializer as its data arrives. Lengths come from the plan (write-plan.ts).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ProtoWriter } from '../../onnx/wire';
import { AtomicFile } from '../atomic-file';
import { readExact } from '../positioned-read';
import { ModelFileError, type FormatWriter, type TensorSpec, type TensorWriteSession, type WriteOptions } from '../types';
import { openOnnxFile } from './open';
import { initializerPrefix, planOnnxWrite, PROTOBUF_LIMIT, varint, type TensorItem } from './write-plan';

export { PROTOBUF_LIMIT } from './write-plan';

const TAG_GRAPH = 0x3a; // field 7, length-delimited
const MODEL_METADATA_PROPS = 14;

export interface OnnxWriterOptions {
  /** Use external data when the model would be bigger than this many bytes (default: the protobuf limit). */
  externalDataAbove?: number;
  /** With external data on, tensors smaller than this stay inline (as onnx's size_threshold). */
  externalMinBytes?: number;
}

function metadataField(key: string, value: string): Uint8Array {
  const w = new ProtoWriter();
  w.message(MODEL_METADATA_PROPS, (m) => { m.string(1, key); m.string(2, value); });
  return w.finish().slice();
}

export function createOnnxWriter(writerOptions: OnnxWriterOptions = {}): FormatWriter {
  async function begin(target: string, specs: TensorSpec[], options: WriteOptions = {}): Promise<TensorWriteSession> {
    const graphFrom = options.graphFrom;
    if (!graphFrom) {
      throw new ModelFileError(target, 'an ONNX file needs a graph, and none was given',
        'convert from an .onnx model (its graph is kept), or write .safetensors or .pt instead');
    }
    if (path.resolve(graphFrom) === path.resolve(target)) {
      throw new ModelFileError(target, 'is also the model whose graph is being kept', 'write to a new file name');
    }
    const { source, layout } = await openOnnxFile(graphFrom);
    const graphHandle = await fs.open(graphFrom, 'r').catch(async (e) => { await source.close(); throw e; });
    // The source is needed only while begin() copies the kept parts; the session streams the rest.
    try {
      const copy = (r: { start: number; end: number }) => readExact(graphHandle, graphFrom, r.start, r.end - r.start);
      // Model-level fields are copied; metadata_props are replaced when the caller gives metadata.
      const top: Uint8Array[] = [];
      for (const r of layout.topFields) if (!(options.metadata && r.field === MODEL_METADATA_PROPS)) top.push(await copy(r));
      for (const [key, value] of Object.entries(options.metadata ?? {})) top.push(metadataField(key, value));
      const topLength = top.reduce((n, b) => n + b.length, 0);

      const plan = planOnnxWrite({
        target, graphFrom, specs, tied: options.tied ?? [], source, layout, topLength,
        location: `${path.basename(target)}.data`,
        externalDataAbove: writerOptions.externalDataAbove ?? PROTOBUF_LIMIT,
        externalMinBytes: writerOptions.externalMinBytes ?? 1024,
      });
      const expectedSize = topLength + 1 + varint(plan.graphLength).length + plan.graphLength;

      const model = await AtomicFile.create(target);
      const data = plan.externalBytes ? await AtomicFile.create(path.join(path.dirname(target), plan.location)) : undefined;
      const discard = async () => { await model.discard(); await data?.discard(); };
      const writeItem = async (it: TensorItem, bytes: Uint8Array) => {
        await model.write(initializerPrefix(it, plan.location));
        if (it.external === undefined) { await model.write(bytes); return; }
        if (data!.position < it.external) await data!.write(new Uint8Array(it.external - data!.position)); // alignment
        await data!.write(bytes);
      };

      try {
        for (const b of top) await model.write(b);
        await model.write(Uint8Array.from([TAG_GRAPH, ...varint(plan.graphLength)]));
        for (const r of layout.graphFields) await model.write(await copy(r));
        for (const it of plan.kept) {
          if (it.kind === 'verbatim') await model.write(await copy(it));
          else await writeItem(it, await it.source!.read());
        }
      } catch (e) {
        await discard();
        throw e;
      }

      const streamed = plan.streamed;
      let next = 0;
      return {
        async writeTensor(name, bytes) {
          const it = streamed[next];
          if (!it) throw new Error(`onnx writer: unexpected tensor "${name}" after all tensors were written`);
          if (it.name !== name) throw new Error(`onnx writer: expected tensor "${it.name}" next, got "${name}"`);
          if (bytes.length !== it.byteLength) throw new Error(`onnx writer: tensor "${name}" has ${bytes.length} bytes, expected ${it.byteLength}`);
          next++;
          await writeItem(it, bytes);
          while (streamed[next]?.kind === 'alias') await writeItem(streamed[next++], bytes);
        },
        async finish() {
          if (next !== streamed.length) {
            await discard();
            throw new Error(`onnx writer: ${streamed.length - next} tensors were never written (next: "${streamed[next].name}")`);
          }
          if (model.position !== expectedSize) {
            await discard();
            throw new Error(`onnx writer: wrote ${model.position} bytes where the plan said ${expectedSize}; nothing was kept`);
          }
          await data?.commit();
          await model.commit();
        },
        abort: discard,
      };
    } finally {
      await graphHandle.close();
      await source.close();
    }
  }

  return { id: 'onnx', extensions: ['.onnx'], begin };
}
