// Weights of any format written into an ONNX model's graph: the graph's initializers replaced by the
// tensors of the same names (dtypes converted to the graph's), for weights that have a graph but no
// built-in architecture.
import { onnxWriter } from '../formats/onnx';
import { openModel } from '../formats/registry';
import { ModelFileError, type ModelSource, type TensorInfo, type TensorSpec } from '../formats/types';
import { fromFloat32, isFloatDType, toFloat32 } from '../tensor/dtypes';
import { readBytes } from './weights';

/** G's graph with its initializers replaced by the weights of the same names, written to `out`. */
export async function writeWeightsIntoGraph(file: string, src: ModelSource, graphFile: string, out: string): Promise<void> {
  const graph = await openModel(graphFile);
  try {
    if (graph.format !== 'onnx') throw new ModelFileError(graphFile, `is ${graph.format}, not an ONNX model`, 'give an .onnx file as the graph');
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
    if (!pairs.length) throw new ModelFileError(file, `none of its tensor names is an initializer of ${graphFile}`, 'give the graph these weights belong to');
    if (unused.length) {
      throw new ModelFileError(file, `${unused.length} tensor${unused.length > 1 ? 's' : ''} (${unused.slice(0, 3).map((n) => `"${n}"`).join(', ')}${unused.length > 3 ? ', …' : ''}) ${unused.length > 1 ? 'are' : 'is'} not in ${graphFile}`, 'give the graph these weights belong to');
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
