// The model a run trains and the weights it starts from: a user's ONNX model or a built-in architecture,
// its own initialisation replaced by given weights (a partner's) or by init-from's file.
import { promises as fs } from 'node:fs';
import type { Dataset } from '../data/types';
import { openModel } from '../formats/registry';
import { getArchitecture } from '../models/registry';
import { initialState } from '../models/state';
import type { StateDict } from '../models/types';
import { resolveSizes, type SizeOptions } from '../models/weights';
import { decodeModel } from '../onnx/proto';
import { readStateDict } from './checkpoint';
import { fromArchitecture, fromOnnxModel, type TrainableModel } from './model-spec';
import { runPaths } from './run-files';
import { cloneState } from './state-dict';
import type { TrainOptions } from './types';

export interface StartingWeights { model: TrainableModel; state: StateDict }

export async function startingWeights(options: TrainOptions, data: Dataset, initState?: StateDict): Promise<StartingWeights> {
  const initFile = options.initFrom ? await initFileOf(options.initFrom) : undefined;
  const built = options.modelFile
    ? await fromModelFile(options.modelFile, data)
    : await fromBuiltIn(options, data, initFile && !initState ? initFile : undefined);
  let state = built.state;
  if (initState) state = cloneState(initState);
  else if (initFile) state = await readStateDict(initFile, built.model.tensors);
  return { model: built.model, state };
}

async function fromModelFile(file: string, data: Dataset): Promise<StartingWeights> {
  const bytes = await fs.readFile(file).catch(() => { throw new Error(`${file}: cannot read the model file; check the path`); });
  return fromOnnxModel(file, decodeModel(bytes), data.inputShape, data.numClasses);
}

/** A built-in architecture, seeded; its sizes read from `sizesFrom` when given. */
async function fromBuiltIn(options: TrainOptions, data: Dataset, sizesFrom: string | undefined): Promise<StartingWeights> {
  const arch = options.arch ?? 'smallcnn';
  const given = { ...(options.hidden ? { hidden: options.hidden } : {}), ...(options.width ? { width: options.width } : {}) };
  // Weights to start from say what sizes they were built with (recorded, or read off their shapes).
  const sizes = sizesFrom ? await sizesOfFile(sizesFrom, arch, given) : given;
  const g = getArchitecture(arch).build({ inputShape: data.inputShape, numClasses: data.numClasses, ...sizes });
  return { model: fromArchitecture(g), state: initialState(g, options.seed) };
}

/** `initFrom` is a run folder (its init.safetensors) or a weights file of any format. */
async function initFileOf(initFrom: string): Promise<string> {
  const st = await fs.stat(initFrom).catch(() => null);
  if (!st) throw new Error(`init-from: ${initFrom} does not exist; give a run folder (with init.safetensors) or a weights file`);
  return st.isDirectory() ? runPaths(initFrom).init : initFrom;
}

async function sizesOfFile(file: string, arch: string, given: SizeOptions): Promise<SizeOptions> {
  const src = await openModel(file);
  try {
    return resolveSizes(arch, src, given);
  } finally {
    await src.close();
  }
}
