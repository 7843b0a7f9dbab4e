// Models named on the command line for compare and soup: files, with --arch / --graph for bare weights.
import { listArchitectures } from '../engine/models';
import type { ModelRef } from '../engine/compare/models';
import { CliError, type CliCommand } from './common';

export const MODEL_OPTIONS: CliCommand['options'] = { arch: { type: 'string' }, graph: { type: 'string' } };

export const MODEL_HELP = `MODEL is an ONNX model, a checkpoint of ours, a merge of them, or weights (.safetensors, .pt, …) with
  --arch smallcnn|mlp|vgg|resnet   the built-in architecture of bare weights (applies to every such model)
  --graph G.onnx                   or the ONNX graph the weights belong to`;

export function modelRefs(values: Record<string, unknown>, positionals: string[], min: number): ModelRef[] {
  if (positionals.length < min) throw new CliError(`give at least ${min} model${min === 1 ? '' : 's'}`);
  const arch = values.arch as string | undefined;
  const graph = values.graph as string | undefined;
  if (arch && graph) throw new CliError('give either --arch or --graph, not both');
  if (arch && !listArchitectures().some((a) => a.id === arch)) throw new CliError(`unknown architecture "${arch}"; choose one of: ${listArchitectures().map((a) => a.id).join(', ')}`);
  return positionals.map((p) => ({ path: p, ...(arch ? { arch } : {}), ...(graph ? { graph } : {}) }));
}
