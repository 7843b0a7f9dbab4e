// Browser-served mode: the renderer build and the API over a WebSocket, on 127.0.0.1 only, guarded by a
// random token. Requests without the token get 401; a WebSocket from a foreign Origin or a request for a
// foreign Host (DNS rebinding) gets 403. Any local process can reach the port, so no request, cookie or
// frame may stop the server (and with it the user's running jobs): bad input becomes a 400 or a WebSocket
// close code, and a log line. HTTP lives in http.ts, the WebSocket in websocket.ts, the token in auth.ts,
// dropped files sent by the page in upload.ts.
import http from 'node:http';
import path from 'node:path';
import type { StudioEvent } from '../engine/api';
import { newToken, withoutToken } from './auth';
import { onClientError, staticHandler } from './http';
import { rateLimited } from './request';
import { isUpload, maxUploadBytes, uploadHandler } from './upload';
import { createApiSocket } from './websocket';

export interface ServerOptions {
  port: number;
  rendererDir: string;
  engine: { call(name: string, args: unknown): Promise<unknown> };
  token?: string;
  /** Where refused requests and broken connections are told (default: stderr, rate-limited). */
  log?: (line: string) => void;
  /** The largest file the page may upload (default: MERGE_STUDIO_MAX_UPLOAD, else 8 GiB). */
  maxUploadBytes?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  broadcast(event: StudioEvent): void;
  close(): Promise<void>;
}

export function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  let port = options.port; // the real one once listening (port 0 picks a free one)
  const site = {
    token,
    port: () => port,
    // Request targets are logged with their token blanked (loggedTarget); this catches it anywhere else.
    log: withoutToken(token, options.log ?? rateLimited((line) => console.error(`merge-studio serve: ${line}`))),
    rendererDir: path.resolve(options.rendererDir),
    engine: options.engine,
    maxUploadBytes: options.maxUploadBytes ?? maxUploadBytes(),
  };
  const files = staticHandler(site);
  const upload = uploadHandler(site);
  const server = http.createServer((req, res) => (isUpload(req) ? upload : files)(req, res));
  server.on('clientError', onClientError(site.log));
  const api = createApiSocket(site);
  server.on('upgrade', api.onUpgrade);

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}/?token=${token}`,
        port,
        token,
        broadcast: api.broadcast,
        close: () =>
          new Promise<void>((r) => {
            api.close();
            server.close(() => r());
          }),
      });
    });
  });
}
