// Handlers of the environment and the file browser.
import { calls } from '../api';
import { describeEnvironment } from '../environment';
import { browse } from '../files/browse';
import type { HandlerContext, Handlers } from './types';

export function environmentHandlers(ctx: HandlerContext): Pick<Handlers, 'getEnvironment' | 'browse' | 'pickFiles'> {
  return {
    getEnvironment: async () => describeEnvironment(ctx.mode),
    browse: async (raw) => browse(ctx.roots, calls.browse.args.parse(raw).dir),
    // Native dialogs exist only in the desktop app, whose main process answers this call itself.
    pickFiles: async () => ({ available: false, paths: [] }),
  };
}
