// The ONNX format: reader (initializers located by file offset, graph decoded for the graph view)
// and writer (keeps a given model's graph, replaces its initializer values).
import { openOnnxFile } from './onnx/open';
import { looksLikeOnnx } from './onnx/scan';
import { createOnnxWriter } from './onnx/write';
import type { FormatReader, FormatWriter } from './types';

export { createOnnxWriter, type OnnxWriterOptions } from './onnx/write';
export { openOnnxFile } from './onnx/open';

export const onnxReader: FormatReader = {
  id: 'onnx',
  label: 'ONNX model',
  extensions: ['.onnx'],
  sniff: (head) => looksLikeOnnx(head),
  open: async (file) => (await openOnnxFile(file)).source,
};

export const onnxWriter: FormatWriter = createOnnxWriter();
