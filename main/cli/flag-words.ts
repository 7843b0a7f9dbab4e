// The engine words its advice for the app's screens (main/engine/models/hints.ts: "choose their architecture in
// the Architecture field"); on the command line the same advice names the flags. Every line the CLI prints passes
// through here, so an engine message reaches the terminal in the terminal's words and the screens in theirs.
import { format } from 'node:util';
import { ARCH_OPTIONS_OR_GRAPH_HINT, ARCH_OR_GRAPH_HINT, MORE_EXAMPLES_HINT, sizeHint } from '../engine/models/hints';

/** The app's phrase → the command line's. */
const FLAG_WORDS: [app: string, cli: string][] = [
  [ARCH_OR_GRAPH_HINT, 'give the architecture (--arch) or a graph (--graph G.onnx)'],
  [ARCH_OPTIONS_OR_GRAPH_HINT, 'give the architecture and options it was trained with (--arch, --hidden, --width), or --graph G.onnx'],
  [MORE_EXAMPLES_HINT, '--samples'],
  [sizeHint('mlp'), 'check --hidden, or the dataset\'s input size'],
  [sizeHint('vgg'), 'check --width, or the dataset\'s input size'],
];

/** `text` with the app's advice in the command line's words. */
export function inFlagWords(text: string): string {
  return FLAG_WORDS.reduce((t, [app, cli]) => t.split(app).join(cli), text);
}

/** Routes console.log and console.error through inFlagWords until the returned function is called. */
export function speakFlags(): () => void {
  const { log, error } = console;
  console.log = (...args: unknown[]) => log.call(console, inFlagWords(format(...args)));
  console.error = (...args: unknown[]) => error.call(console, inFlagWords(format(...args)));
  return () => {
    console.log = log;
    console.error = error;
  };
}
