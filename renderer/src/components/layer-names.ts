// The names people know a layer by, in place of the ids the engine works with: a permutation group is named
// after its first layer ("P_layers.0" → "layers.0"), and a graph node that the builder named from its
// operator ("n_Gemm_0") reads as the operator and what it does ("Gemm 0 (linear layer)"). Names from the
// user's own ONNX file are theirs and shown as they are.

const OPERATOR_WORDS: Record<string, string> = {
  Gemm: 'linear layer', MatMul: 'matrix product', Conv: 'convolution', ConvTranspose: 'transposed convolution',
  BatchNormalization: 'batch norm', LayerNormalization: 'layer norm', Relu: 'ReLU', Gelu: 'GELU', Sigmoid: 'sigmoid',
  Tanh: 'tanh', Softmax: 'softmax', Add: 'addition', Mul: 'multiplication', MaxPool: 'max pooling',
  AveragePool: 'average pooling', GlobalAveragePool: 'global average pooling', Flatten: 'flatten', Reshape: 'reshape',
  Gather: 'embedding lookup', Transpose: 'transpose', Concat: 'concatenation',
};

/** A permutation group's name as its layer's name. */
export function groupLabel(name: string): string {
  return name.replace(/^P_/, '');
}

/** A graph node's name in words, when the engine made it; otherwise the file's own name. */
export function nodeLabel(name: string | undefined, opType?: string): string {
  const m = /(?:^|[/.:])n_([A-Za-z]+)_(\d+)$/.exec(name ?? '');
  if (!m) return name || (opType ? `${opType} (${OPERATOR_WORDS[opType] ?? 'operation'})` : '');
  const words = OPERATOR_WORDS[m[1]];
  return `${m[1]} ${m[2]}${words ? ` (${words})` : ''}`;
}
