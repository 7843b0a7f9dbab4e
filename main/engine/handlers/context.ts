// The engine state the handlers share, made once per engine.
import type { Environment, StudioEvent } from '../api';
import { defaultWorkspace } from '../environment';
import { FileRoots } from '../files/roots';
import { JobRunner } from '../jobs/runner';
import { OpenModels } from '../loaded/openModels';
import type { HandlerContext } from './types';

export function createHandlerContext(emit: (event: StudioEvent) => void, mode: Environment['mode'], extraRoots: string[]): HandlerContext {
  const roots = new FileRoots([...extraRoots, defaultWorkspace()], undefined,
    mode === 'electron' ? 'choose it with Open files… or drop it on the window to allow its folder' : undefined);
  return {
    mode,
    runner: new JobRunner(emit),
    models: new OpenModels(),
    roots,
    // A path from the UI (a browser's, or a renderer's in the desktop app) must lie in the allowed roots: a
    // compromised page must not reach the whole disk. The desktop app adds the folders the user picks in
    // native dialogs (Engine.allowRoots). The CLI's paths are the user's own typing.
    checkPath: (p) => (mode === 'cli' ? p : roots.resolve(p)),
  };
}
