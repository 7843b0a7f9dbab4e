// Engine host process entry: receives calls from main (Electron utilityProcess) or from the server
// (child process), runs them, and posts responses and events. No Electron import: the utility
// process exposes `process.parentPort`, a forked child exposes `process.send`.
import path from 'node:path';
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
  else if (process.send && process.connected) process.send(message); // a parent that left first: nobody to tell
}

/** Set by a signal: the host cancels its jobs, tidies up and exits (stopOnSignal). */
let stopping = false;

// A stopping host tells nothing more of its jobs: their cancellation is the shutdown's, not the user's, and
// main reports them as stopped with the engine.
const engine = createEngine((event: StudioEvent) => { if (!stopping) post({ kind: 'event', event }); }, mode, { roots: rootsFromEnv() });

async function handle(raw: unknown): Promise<void> {
  const control = HostControl.safeParse(raw);
  if (control.success) return engine.allowRoots(control.data.dirs);
  const req = HostRequest.safeParse(raw);
  if (!req.success) return; // not ours: ignore rather than crash
  const { id } = req.data;
  if (stopping) return post({ kind: 'response', id, ok: false, error: 'the engine is stopping' });
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

// Serve's Ctrl-C (which reaches the host too) or SIGTERM, the desktop app quitting: the running job is
// cancelled, its temp files removed and its run marked interrupted before the process ends, rather than
// left for the next start's sweep.
async function stopOnSignal(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return; // Ctrl-C and main's SIGTERM both come: one shutdown
  stopping = true;
  try {
    const r = await engine.shutdown(`the engine was stopped (${signal})`);
    const done = [
      ...(r.interrupted.length ? [`marked ${r.interrupted.length} run${r.interrupted.length === 1 ? '' : 's'} interrupted (${r.interrupted.map((d) => path.basename(d)).join(', ')})`] : []),
      ...(r.removed.length ? [`removed ${r.removed.length} temp file${r.removed.length === 1 ? '' : 's'}`] : []),
    ];
    if (done.length) console.error(`merge-studio engine: stopped by ${signal}: ${done.join('; ')}`);
  } catch (err) {
    console.error(`merge-studio engine: stopped by ${signal}; tidying up failed:`, err);
  }
  process.exit(0);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stopOnSignal(signal));

post({ kind: 'ready' });
