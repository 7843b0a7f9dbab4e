// `merge-studio serve`: the app for a browser, engine in a child process, on 127.0.0.1 only.
import fs from 'node:fs';
import path from 'node:path';
import { EngineClient } from '../engineClient';
import { forkHost } from '../serve/node-host';
import { startServer, type RunningServer } from '../serve/server';
import { buildPaths, CliError, type CliCommand } from './common';

/** What the browser's file browser may open; the README says the same words (a unit test compares them). */
export const FILE_BROWSER_REACH =
  'Its file browser reaches your home folder, the workspace (MERGE_STUDIO_WORKSPACE, or ~/MergeStudio) and each folder given with --allow DIR; nothing else.';

export const serveCommand: CliCommand = {
  name: 'serve',
  usage: 'serve [--port N] [--allow DIR]…',
  summary: 'serve the app to a browser on 127.0.0.1 (port 0 picks a free one)',
  options: { port: { type: 'string' }, allow: { type: 'string', multiple: true } },
  // needs the build (npm run build): the help examples test runs it through out/main/cli.js
  example: 'serve --port 0',
  help: `
${FILE_BROWSER_REACH}
Stop it with Ctrl-C.`,
  optionHelp: {
    port: ['N', 'listen on 127.0.0.1:N (default 5317, or a free port when 5317 is taken; 0 picks a free port)'],
    allow: ['DIR', 'let the file browser reach DIR too (repeatable)'],
  },
  async run(values) {
    const port = values.port === undefined ? 5317 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be 0..65535, got ${values.port}`);
    if (!fs.existsSync(buildPaths.host) || !fs.existsSync(buildPaths.renderer)) {
      throw new CliError('the app is not built: run `npm run build` first');
    }
    let server: RunningServer | null = null;
    const allow = ((values.allow as unknown as string[] | undefined) ?? []).map((d) => path.resolve(d));
    for (const d of allow) if (!fs.existsSync(d)) throw new CliError(`--allow ${d}: no such folder`);
    const env = { MERGE_STUDIO_ROOTS: allow.join(path.delimiter) };
    const engine = new EngineClient(forkHost(buildPaths.host, { env }), (event) => server?.broadcast(event));
    await engine.start();
    const serve = (p: number) => startServer({ port: p, rendererDir: buildPaths.renderer, engine: { call: (n, a) => engine.call(n as never, a) } });
    try {
      server = await serve(port).catch((e: NodeJS.ErrnoException) => {
        // The default port taken (another Merge Studio?): a free one rather than a failed first run.
        if (e.code !== 'EADDRINUSE' || values.port !== undefined) throw e;
        console.log(`Port ${port} is in use; serving on a free port instead.`);
        return serve(0);
      });
    } catch (e) {
      await engine.stop();
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE') throw new CliError(`port ${port} is in use (another Merge Studio?); stop it, or choose another with --port N (0 picks a free one)`);
      throw e;
    }
    console.log(`Merge Studio is ready. Open this address in a browser:`);
    console.log(server.url);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    // The engine first: it cancels a running job and tidies up its files and run before it exits.
    console.log('Stopping…');
    await engine.stop();
    await server.close();
    return 0;
  },
};
