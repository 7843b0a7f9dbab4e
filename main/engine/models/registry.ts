// Built-in architectures. A new one: write models/<id>.ts exporting an Architecture and add it here.
import { mlp } from './mlp';
import { resnet } from './resnet';
import { smallcnn } from './smallcnn';
import type { Architecture } from './types';
import { vgg } from './vgg';

const ARCHITECTURES: Architecture[] = [mlp, smallcnn, vgg, resnet];

export function listArchitectures(): Architecture[] { return ARCHITECTURES; }

export function getArchitecture(id: string): Architecture {
  const a = ARCHITECTURES.find((x) => x.id === id);
  if (!a) throw new Error(`unknown architecture "${id}"; choose one of: ${ARCHITECTURES.map((x) => x.id).join(', ')}`);
  return a;
}

/** For the Train screen: each architecture with the options it reads and its layers on an input. */
export function architectureInfo(inputShape: number[] = [1, 28, 28], numClasses = 10): { id: string; label: string; options: string[]; layers: string }[] {
  const options: Record<string, string[]> = { mlp: ['hidden'], smallcnn: [], vgg: ['width', 'hidden'], resnet: ['width'] };
  return ARCHITECTURES.map((a) => ({ id: a.id, label: a.label, options: options[a.id] ?? [], layers: a.describe({ inputShape, numClasses }) }));
}
