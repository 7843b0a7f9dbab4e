// Handlers of open models: headers, tensor statistics, and the architecture graph of a weights-only file.
import { calls } from '../api';
import { architectureGraph } from '../architecture-graph';
import type { HandlerContext, Handlers } from './types';

export function modelHandlers(ctx: HandlerContext): Pick<Handlers, 'openModel' | 'closeModel' | 'tensorStats' | 'architectureGraph'> {
  const { models, checkPath } = ctx;
  return {
    openModel: async (raw) => models.open(checkPath(calls.openModel.args.parse(raw).path)),
    closeModel: async (raw) => ({ closed: await models.close(calls.closeModel.args.parse(raw).modelId) }),
    tensorStats: async (raw) => {
      const a = calls.tensorStats.args.parse(raw);
      return models.stats(a.modelId, a.name);
    },
    architectureGraph: async (raw) => {
      const a = calls.architectureGraph.args.parse(raw);
      const source = a.modelId ? models.get(a.modelId) : null;
      return architectureGraph(source && source.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })), source?.metadata ?? {}, a.arch);
    },
  };
}
