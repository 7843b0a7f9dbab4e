// Handler naming model files by the run that wrote them ("train 3 · epoch-002"), for every list, picker and
// table of the UI (workspace/model-names.ts).
import { calls } from '../api';
import { defaultWorkspace } from '../environment';
import { nameModels } from '../workspace/model-names';
import { runFilesIn } from '../workspace/run-index';
import type { HandlerContext, Handlers } from './types';

export function modelNameHandlers(ctx: HandlerContext): Pick<Handlers, 'modelNames'> {
  return {
    modelNames: async (raw) => {
      const { paths } = calls.modelNames.args.parse(raw);
      // The files are never opened, only named. A path outside the allowed folders is named by its own text:
      // what the workspace's runs say about it is not the page's business.
      const checked = paths.map((p) => { try { return ctx.checkPath(p); } catch { return null; } });
      const refused = new Set(paths.filter((_, i) => checked[i] === null));
      const names = nameModels(checked.map((c, i) => c ?? paths[i]), await runFilesIn(defaultWorkspace()), (f) => !refused.has(f));
      return names.map((n, i) => ({ ...n, path: paths[i] }));
    },
  };
}
