// What to give when weights cannot be read into a model, in the app's words: its screens name the architecture of
// bare weights in an Architecture field. The command line says the same with its flags: main/cli/flag-words.ts
// maps each of these phrases, so the engine keeps one wording and no screen shows `--arch`.

/** Weights that do not say which architecture they belong to. */
export const ARCH_OR_GRAPH_HINT = 'choose their architecture in the Architecture field, or use an ONNX model of the same network';
/** Weights that lack a tensor of the architecture they were read as. */
export const ARCH_OPTIONS_OR_GRAPH_HINT = 'choose the architecture (and sizes) they were trained with in the Architecture field, or use an ONNX model of the same network';
/** Too few examples to match a layer's units by their activations. */
export const MORE_EXAMPLES_HINT = 'raise Examples';

/** A tensor of the wrong shape for `arch`: which of its sizes to check. */
export function sizeHint(arch: string): string {
  if (arch === 'mlp') return 'check the hidden layer sizes the model was trained with, or the dataset\'s input size';
  if (arch === 'vgg' || arch === 'resnet') return 'check the width the model was trained with, or the dataset\'s input size';
  return 'check the architecture and the dataset\'s input size';
}
