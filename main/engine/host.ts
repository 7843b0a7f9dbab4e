// Engine host process entry: receives calls from main (Electron utilityProcess) or from the server
// (child process), runs them, and posts responses and events. No Electron import: the utility
// process exposes `process.parentPort`, a forked child exposes `process.send`.
import { HostControl, HostRequest, parseCall, type HostMessage, type StudioEvent } from './api';
import { createEngine } from './engine';
import { rootsFromEnv } from './files/roots';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
const mode = process.env.MERGE_STUDIO_MODE === 'electron' ? 'electron' : 'browser';

function post(message: HostMessage): void {
  if (parentPort) parentPort.postMessage(message);
  else if (process.send) process.send(message);
}

const engine = createEngine((event: StudioEvent) => post({ kind: 'event', event }), mode, { roots: rootsFromEnv() });

async function handle(raw: unknown): Promise<void> {
  const control = HostControl.safeParse(raw);
  if (control.success) return engine.allowRoots(control.data.dirs);
  const req = HostRequest.safeParse(raw);
  if (!req.success) return; // not ours: ignore rather than crash
  const { id } = req.data;
  try {
    const { name, args } = parseCall(req.data.call, req.data.args);
    const result = await engine.handlers[name](args);
    post({ kind: 'response', id, ok: true, result });
  } catch (err) {
    post({ kind: 'response', id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

if (parentPort) parentPort.on('message', (e) => void handle(e.data));
else if (process.send) process.on('message', (m) => void handle(m));
else {
  console.error('merge-studio engine host: started without a parent process; nothing to do');
  process.exit(2);
}

// A job that throws asynchronously outside its promise must not take the host down silently.
process.on('uncaughtException', (err) => console.error('engine host: uncaught', err));
process.on('unhandledRejection', (err) => console.error('engine host: unhandled rejection', err));

post({ kind: 'ready' });
