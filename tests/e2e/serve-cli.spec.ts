// `merge-studio serve` when its port is taken: the default port falls back to a free one (the README's
// first command must work even with another Merge Studio open); a port the user chose is a clear error,
// and the command ends instead of hanging on its engine process.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { test, expect, ROOT, SCRATCH } from './serve-fixture';

function run(args: string[]): { out: () => string; exited: Promise<number | null>; kill(): void } {
  const child = spawn(process.execPath, [path.join(ROOT, 'out/main/cli.js'), 'serve', ...args], {
    cwd: ROOT, env: { ...process.env, MERGE_STUDIO_WORKSPACE: path.join(SCRATCH, 'workspace') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  return { out: () => out, exited: new Promise((r) => child.on('exit', (code) => r(code))), kill: () => child.kill('SIGTERM') };
}

/** Holds `port` (or finds it already held by someone else: busy either way) for the test. */
async function occupy(port: number): Promise<{ port: number; release(): Promise<void> }> {
  const server = net.createServer();
  const held = await new Promise<boolean>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(false) : reject(e)));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  const actual = held ? (server.address() as net.AddressInfo).port : port;
  return { port: actual, release: () => new Promise((r) => (held ? server.close(() => r()) : r())) };
}

test('a port given with --port that is taken: one clear line, exit code 2, no hang', async () => {
  const busy = await occupy(0);
  try {
    const serve = run(['--port', String(busy.port)]);
    expect(await serve.exited).toBe(2);
    expect(serve.out()).toContain(`port ${busy.port} is in use (another Merge Studio?); stop it, or choose another with --port N`);
  } finally {
    await busy.release();
  }
});

test('the default port taken: serves on a free port instead and says so', async () => {
  const busy = await occupy(5317);
  const serve = run([]);
  try {
    await expect.poll(() => /http:\/\/127\.0\.0\.1:(\d+)\/\?token=\S+/.exec(serve.out())?.[0] ?? null, { timeout: 20_000 }).not.toBeNull();
    expect(serve.out()).toContain('Port 5317 is in use; serving on a free port instead.');
    const url = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=\S+/.exec(serve.out())!;
    expect(url[1]).not.toBe('5317');
    expect((await fetch(url[0])).status).toBe(200);
  } finally {
    serve.kill();
    await serve.exited;
    await busy.release();
  }
});
