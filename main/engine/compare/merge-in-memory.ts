// A recipe merged in memory by the real merge engine (same plan, same kernels, same per-layer rules), for
// soups and searches that try many merges: the parents are state dicts already in memory and the output
// is collected into a state dict instead of a file. The merge that is kept is written by runMerge as usual.
import type { FormatWriter, ModelSource, TensorSpec } from '../formats/types';
import { silentContext, type JobContext } from '../job-context';
import { runMerge } from '../merge/executor';
import type { MergeIO } from '../formats/model-io';
import { resolveRecipe, type Recipe } from '../merge/recipe';
import type { Net } from '../models/load-net';
import type { StateDict } from '../models/types';
import { toFloat32 } from '../tensor/dtypes';

const bytesOf = (a: Float32Array | BigInt64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A state dict as a model source (what the executor reads). */
export function stateSource(file: string, net: Pick<Net, 'graph' | 'state'>): ModelSource {
  return {
    path: file,
    format: 'safetensors',
    metadata: {},
    tied: [],
    notes: [],
    tensors: net.graph.tensors.map((t) => {
      const s = net.state.get(t.name);
      if (!s) throw new Error(`${file}: the state dict has no tensor "${t.name}"`);
      const bytes = bytesOf(s.data);
      return { name: t.name, dtype: t.dtype, shape: t.shape, byteLength: bytes.byteLength, read: async () => bytes };
    }),
    close: async () => {},
  };
}

/** A writer that keeps what it is given (copies: the executor reuses its buffers). */
function memoryWriter(sink: Map<string, { spec: TensorSpec; bytes: Uint8Array }>): FormatWriter {
  return {
    id: 'safetensors',
    extensions: ['.safetensors'],
    lateMetadata: true,
    async begin(_path, specs) {
      const bySpec = new Map(specs.map((s) => [s.name, s]));
      let total = 0;
      return {
        async writeTensor(name, data) {
          sink.set(name, { spec: bySpec.get(name)!, bytes: data.slice() });
          total += data.byteLength;
        },
        async finish() { return { sha256: '', bytes: total }; },
        async abort() { sink.clear(); },
      };
    },
  };
}

function toState(sink: Map<string, { spec: TensorSpec; bytes: Uint8Array }>): StateDict {
  const state: StateDict = new Map();
  for (const [name, { spec, bytes }] of sink) {
    const data = spec.dtype === 'i64'
      ? new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8)
      : toFloat32(bytes, spec.dtype);
    state.set(name, { shape: spec.shape, data });
  }
  return state;
}

/**
 * Runs `recipe` over the given nets (keyed by the recipe's resolved model paths) and returns the merged state
 * dict. The output path in the recipe is not written.
 */
export async function mergeInMemory(recipe: Recipe, nets: Map<string, Pick<Net, 'graph' | 'state'>>, baseDir: string, ctx: JobContext = silentContext()): Promise<StateDict> {
  // Nothing is written: a safetensors-shaped output held in memory, wherever the recipe would write.
  const resolved = await resolveRecipe({ ...recipe, output: { ...recipe.output, path: 'in-memory.safetensors' } }, baseDir);
  const sink = new Map<string, { spec: TensorSpec; bytes: Uint8Array }>();
  const io: MergeIO = {
    openModel: async (p) => {
      const net = nets.get(p);
      if (!net) throw new Error(`${p}: not among the models loaded for this merge`);
      return stateSource(p, net);
    },
    writerFor: () => memoryWriter(sink),
  };
  // The parents' hashes are not needed for a trial; the context only forwards cancel.
  await runMerge(resolved, { ...silentContext(ctx.signal) }, { io });
  return toState(sink);
}
