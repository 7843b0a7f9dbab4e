// Browser-served mode: the renderer build and the API over a WebSocket, on 127.0.0.1 only, guarded by a
// random token. Requests without the token get 401; a WebSocket from a foreign Origin or a request for a
// foreign Host (DNS rebinding) gets 403.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseCall, type StudioEvent } from './engine/api';


export interface ServerOptions {
  port: number;
  rendererDir: string;
  engine: { call(name: string, args: unknown): Promise<unknown> };
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  broadcast(event: StudioEvent): void;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon',
};
const COOKIE = 'merge_studio_token';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function cookieToken(req: http.IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === COOKIE && v) return decodeURIComponent(v);
  }
  return null;
}

export function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? crypto.randomBytes(24).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  let port = options.port;
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);
  const hasToken = (req: http.IncomingMessage, url: URL) => {
    const t = url.searchParams.get('token') ?? cookieToken(req);
    return t !== null && safeEqual(t, token);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!allowedHosts().includes(req.headers.host ?? '')) return deny(res, 403, 'forbidden host');
    if (!hasToken(req, url)) return deny(res, 401, 'missing or wrong token: open the URL that `merge-studio serve` printed');
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'method not allowed');
    const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = path.resolve(rendererDir, '.' + rel);
    if (file !== rendererDir && !file.startsWith(rendererDir + path.sep)) return deny(res, 403, 'forbidden path');
    fs.readFile(file, (err, data) => {
      if (err) return deny(res, 404, 'not found');
      res.writeHead(200, {
        'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy':
          `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; ` +
          `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-store',
        'Set-Cookie': `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      });
      res.end(req.method === 'HEAD' ? undefined : data);
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refuse = (code: number, text: string) => {
      socket.write(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (!allowedHosts().includes(req.headers.host ?? '')) return refuse(403, 'Forbidden');
    if (!allowedOrigins().includes(req.headers.origin ?? '')) return refuse(403, 'Forbidden');
    if (url.pathname !== '/api') return refuse(404, 'Not Found');
    if (!hasToken(req, url)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', (data) => void onMessage(ws, data.toString()));
    });
  });

  async function onMessage(ws: WebSocket, text: string): Promise<void> {
    let id: unknown = null;
    try {
      const msg = JSON.parse(text) as { id?: unknown; call?: unknown; args?: unknown };
      id = msg.id;
      if (typeof id !== 'number') throw new Error('message needs a numeric id');
      const { name, args } = parseCall(msg.call, msg.args);
      const result = await options.engine.call(name, args);
      ws.send(JSON.stringify({ id, ok: true, result }));
    } catch (err) {
      ws.send(JSON.stringify({ id, ok: false, error: err instanceof Error ? err.message : String(err) }));
    }
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}/?token=${token}`,
        port,
        token,
        broadcast: (event) => {
          const text = JSON.stringify({ event });
          for (const c of clients) if (c.readyState === c.OPEN) c.send(text);
        },
        close: () =>
          new Promise<void>((r) => {
            for (const c of clients) c.terminate();
            wss.close();
            server.close(() => r());
          }),
      });
    });
  });
}

function deny(res: http.ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}
