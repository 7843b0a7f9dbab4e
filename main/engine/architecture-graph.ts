// A built-in architecture's graph, for files that hold weights only (PyTorch, safetensors): which built-in
// architecture and options fit a file's tensors (every name and shape), and the graph of operations to draw.
import type { GraphInfo } from './formats/types';
import { getArchitecture, listArchitectures, resolveSizes, type ArchitectureGraph, type ArchitectureOptions } from './models';

/** Example shapes tried when a file does not record its input: MNIST-like, CIFAR-like, then larger images. */
const INPUT_SHAPES = [[1, 28, 28], [3, 32, 32], [1, 32, 32], [3, 28, 28], [3, 64, 64], [3, 224, 224]];

interface Shaped { name: string; shape: number[] }

function parseJson<T>(text: string | undefined): T | undefined {
  try { return text ? (JSON.parse(text) as T) : undefined; } catch { return undefined; }
}

/** The options worth trying for `arch` on this file: what its metadata records first, then common inputs. */
function candidates(arch: string, tensors: Shaped[], metadata: Record<string, string>): ArchitectureOptions[] {
  const recordedShape = parseJson<number[]>(metadata.input_shape);
  const recordedClasses = Number(metadata.num_classes) || undefined;
  const lastMatrix = [...tensors].reverse().find((t) => t.name.endsWith('weight') && t.shape.length === 2);
  const classes = [...new Set([recordedClasses, lastMatrix?.shape[0], 10].filter((n): n is number => !!n))];
  const shapes = recordedShape ? [recordedShape, ...INPUT_SHAPES] : INPUT_SHAPES;
  const sizes = resolveSizes(arch, { metadata, tensors });
  return shapes.flatMap((inputShape) => classes.map((numClasses) => ({ inputShape, numClasses, ...sizes })));
}

function fits(g: ArchitectureGraph, tensors: Shaped[]): boolean {
  const byName = new Map(tensors.map((t) => [t.name, t.shape.join('x')]));
  return g.tensors.length === tensors.length && g.tensors.every((t) => byName.get(t.name) === t.shape.join('x'));
}

function tryBuild(arch: string, o: ArchitectureOptions): ArchitectureGraph | null {
  try { return getArchitecture(arch).build(o); } catch { return null; }
}

/** The built-in architecture (and its options) whose state dict is exactly these tensors, if one is. */
export function fitArchitecture(tensors: Shaped[], metadata: Record<string, string> = {}, only?: string): { arch: string; options: ArchitectureOptions } | null {
  const archs = only ? [only] : [...listArchitectures().map((a) => a.id)].sort((a, b) => Number(b === metadata.arch) - Number(a === metadata.arch));
  for (const arch of archs) {
    for (const options of candidates(arch, tensors, metadata)) {
      const g = tryBuild(arch, options);
      if (g && fits(g, tensors)) return { arch, options };
    }
  }
  return null;
}

/** The graph the Graph tab draws, in the shape an ONNX file's graph has. */
export function graphOf(g: ArchitectureGraph): GraphInfo {
  return {
    inputs: [{ name: g.inputName, dtype: 'f32', shape: ['N', ...g.inputShape] }],
    outputs: [{ name: g.outputName, dtype: 'f32', shape: ['N', g.numClasses] }],
    nodes: g.nodes.map((n, i) => ({ name: n.name || `${n.opType}_${i}`, opType: n.opType, inputs: [...n.input], outputs: [...n.output] })),
  };
}

export interface ArchitectureGraphResult {
  arch: string | null;
  label: string;
  graph: GraphInfo | null;
  /** True when the architecture's state dict is exactly the file's tensors. */
  matches: boolean;
  note: string;
}

const describeOptions = (o: ArchitectureOptions) =>
  `${o.inputShape.join('×')} inputs, ${o.numClasses} classes${o.hidden ? `, hidden ${o.hidden.join(',')}` : ''}${o.width ? `, width ${o.width}` : ''}`;

/**
 * The graph of `arch` (or of the first architecture that fits, when none is named), fitted to the file's
 * tensors when it can be; otherwise built with its defaults on 1×28×28 inputs and said so.
 */
export function architectureGraph(tensors: Shaped[] | null, metadata: Record<string, string>, arch?: string): ArchitectureGraphResult {
  const fit = tensors ? fitArchitecture(tensors, metadata, arch) : null;
  if (fit) {
    const a = getArchitecture(fit.arch);
    return { arch: fit.arch, label: a.label, graph: graphOf(a.build(fit.options)), matches: true, note: `${a.label} on ${describeOptions(fit.options)}: its tensors are exactly this file's.` };
  }
  if (!arch) return { arch: null, label: '', graph: null, matches: false, note: 'No built-in architecture has exactly these tensors.' };
  const a = getArchitecture(arch);
  const options: ArchitectureOptions = { inputShape: [1, 28, 28], numClasses: 10 };
  return {
    arch, label: a.label, graph: graphOf(a.build(options)), matches: false,
    note: `${a.label} on ${describeOptions(options)}, for illustration: ${tensors ? 'its tensors are not this file\'s (names or shapes differ).' : 'no file to compare with.'}`,
  };
}
