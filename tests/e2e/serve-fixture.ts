// Starts `merge-studio serve --port 0` from the build and hands its URL to the specs.
import { test as base } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/** A scratch folder the served app may browse (made per test run, removed by the OS's tmp cleaning). */
export const SCRATCH = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-e2e-'));
export const FIXTURES = path.join(ROOT, 'tests', 'fixtures');

/** The wizard's state is kept per workspace (renderer/src/state/persist.ts), and the specs share one: each starts clean. */
export function clearSavedState(): void {
  fs.rmSync(path.join(SCRATCH, 'workspace', '.merge-studio', 'ui-state.json'), { force: true });
}

export async function startServe(): Promise<{ url: string; stop(): Promise<void> }> {
  clearSavedState();
  const args = [path.join(ROOT, 'out/main/cli.js'), 'serve', '--port', '0', '--allow', FIXTURES, '--allow', SCRATCH];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, MERGE_STUDIO_WORKSPACE: path.join(SCRATCH, 'workspace') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
  return {
    url,
    stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }),
  };
}

export const test = base.extend<{ appUrl: string }, { served: { url: string } }>({
  served: [async ({}, use) => {
    const s = await startServe();
    await use(s);
    await s.stop();
  }, { scope: 'worker' }],
  appUrl: async ({ served }, use) => {
    clearSavedState();
    await use(served.url);
  },
});
export { expect } from '@playwright/test';
