// Spawns the engine host as a Node child process (browser-served mode and tests).
import { fork } from 'node:child_process';
import type { HostTransport, SpawnHost } from '../engineClient';

export function forkHost(hostScript: string, options: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {}): SpawnHost {
  return (): HostTransport => {
    const child = fork(hostScript, [], {
      env: { ...process.env, ...options.env, MERGE_STUDIO_MODE: 'browser' },
      execArgv: options.execArgv ?? [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return {
      send: (m) => { if (child.connected) child.send(m as object); },
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', (code) => l(code)),
      kill: () => { child.kill(); },
    };
  };
}
