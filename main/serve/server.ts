// Browser-served mode: the renderer build and the API over a WebSocket, on 127.0.0.1 only, guarded by a
// random token. Requests without the token get 401; a WebSocket from a foreign Origin or a request for a
// foreign Host (DNS rebinding) gets 403. Any local process can reach the port, so no request, cookie or
// frame may stop the server (and with it the user's running jobs): bad input becomes a 400 or a WebSocket
// close code, and a log line.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseCall, type StudioEvent } from '../engine/api';


export interface ServerOptions {
  port: number;
  rendererDir: string;
  engine: { call(name: string, args: unknown): Promise<unknown> };
  token?: string;
  /** Where refused requests and broken connections are told (default: stderr, rate-limited). */
  log?: (line: string) => void;
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

/** Thrown for input we refuse with a 400: the message goes to the log and (briefly) to the client. */
class BadRequest extends Error {}

/** decodeURIComponent that refuses a bad escape (%E0%A4%A) with BadRequest instead of a URIError. */
function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BadRequest(`${what} has a malformed %-escape`);
  }
}

/**
 * Every merge_studio_token cookie's value. Cookies ignore ports, so a page on any other 127.0.0.1 port can
 * plant one (also a malformed one): a value that does not decode is skipped and reported, never thrown.
 */
function cookieTokens(req: http.IncomingMessage): { values: string[]; malformed: boolean } {
  const values: string[] = [];
  let malformed = false;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== COOKIE) continue;
    const v = part.slice(eq + 1).trim();
    if (!v) continue;
    try {
      values.push(decodeURIComponent(v));
    } catch {
      malformed = true;
    }
  }
  return { values, malformed };
}

/** At most `burst` lines per `windowMs`; the rest are counted and summed up in the next line let through. */
function rateLimited(write: (line: string) => void, burst = 20, windowMs = 10_000): (line: string) => void {
  let windowStart = 0;
  let shown = 0;
  let dropped = 0;
  return (line) => {
    const now = Date.now();
    if (now - windowStart > windowMs) { windowStart = now; shown = 0; }
    if (shown >= burst) { dropped++; return; }
    shown++;
    if (dropped) { write(`(${dropped} more refused request${dropped === 1 ? '' : 's'} not shown)`); dropped = 0; }
    write(line);
  };
}

/** The request target as a URL on our origin; anything but an origin-form path ("/…") is refused. */
function requestUrl(req: http.IncomingMessage): URL {
  const target = req.url ?? '/';
  // prefixed, not resolved against a base: "//host/…" would otherwise be read as another host
  if (!target.startsWith('/')) throw new BadRequest('the request target is not a path');
  try {
    return new URL(`http://127.0.0.1${target}`);
  } catch {
    throw new BadRequest('the request target is not a valid URL path');
  }
}

function peer(req: http.IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}

export function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? crypto.randomBytes(24).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  let port = options.port;
  const log = options.log ?? rateLimited((line) => console.error(`merge-studio serve: ${line}`));
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);
  /** True with the right token (in the URL or any cookie); false without; BadRequest for a malformed cookie and no token. */
  const hasToken = (req: http.IncomingMessage, url: URL) => {
    const t = url.searchParams.get('token');
    if (t !== null && safeEqual(t, token)) return true;
    const cookies = cookieTokens(req);
    if (cookies.values.some((v) => safeEqual(v, token))) return true;
    if (cookies.malformed) throw new BadRequest(`the ${COOKIE} cookie has a malformed %-escape`);
    return false;
  };

  const server = http.createServer((req, res) => {
    try {
      serveFile(req, res);
    } catch (err) {
      const bad = err instanceof BadRequest;
      log(`${bad ? 'refused' : 'failed'} ${req.method} ${JSON.stringify((req.url ?? '').slice(0, 200))} from ${peer(req)}: ${(err as Error).message}`);
      if (!res.headersSent) deny(res, bad ? 400 : 500, bad ? `bad request: ${(err as Error).message}` : 'internal error');
      else res.destroy();
    }
  });
  // Requests Node's parser cannot read (bad request lines, huge headers): a 400, never a crash.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET') return socket.destroy(); // the client left: nothing to refuse
    log(`refused an unreadable request: ${err.code ?? err.message}`);
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
    else socket.destroy();
  });

  function serveFile(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = requestUrl(req);
    if (!allowedHosts().includes(req.headers.host ?? '')) return deny(res, 403, 'forbidden host');
    if (!hasToken(req, url)) return deny(res, 401, 'missing or wrong token: open the URL that `merge-studio serve` printed');
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'method not allowed');
    const rel = decode(url.pathname === '/' ? '/index.html' : url.pathname, 'the path');
    if (rel.includes('\0')) throw new BadRequest('the path holds a NUL byte');
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
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  const clients = new Set<WebSocket>();
  wss.on('error', (err) => log(`websocket server: ${err.message}`));
  server.on('upgrade', (req, socket, head) => {
    // Node hands the raw socket over without an error listener: a reset here must not be an uncaught error.
    const onSocketError = (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET') log(`websocket handshake from ${peer(req)}: ${err.code ?? err.message}`); // a reset: the client left
    };
    socket.on('error', onSocketError);
    const refuse = (code: number, text: string) => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
    };
    try {
      const url = requestUrl(req);
      if (!allowedHosts().includes(req.headers.host ?? '')) return refuse(403, 'Forbidden');
      if (!allowedOrigins().includes(req.headers.origin ?? '')) return refuse(403, 'Forbidden');
      if (url.pathname !== '/api') return refuse(404, 'Not Found');
      if (!hasToken(req, url)) return refuse(401, 'Unauthorized');
      wss.handleUpgrade(req, socket, head, (ws) => {
        socket.off('error', onSocketError); // the WebSocket reports its own errors from here on (below)
        clients.add(ws);
        const who = peer(req);
        ws.on('close', () => clients.delete(ws));
        // ws closes the connection itself (1009 too big, 1007 invalid UTF-8, 1002 protocol error) after
        // this event; without a listener the event would be an uncaught error that ends the process.
        ws.on('error', (err: Error & { code?: string }) => {
          if (err.code === 'ECONNRESET') return; // the client left: nothing was refused
          log(`websocket from ${who} closed: ${err.message}${err.code ? ` (${err.code})` : ''}`);
        });
        ws.on('message', (data, isBinary) => {
          if (isBinary) {
            log(`websocket from ${who}: refused a binary message`);
            return ws.close(1003, 'text messages only');
          }
          void onMessage(ws, data.toString());
        });
      });
    } catch (err) {
      const bad = err instanceof BadRequest;
      log(`${bad ? 'refused' : 'failed'} websocket ${JSON.stringify((req.url ?? '').slice(0, 200))} from ${peer(req)}: ${(err as Error).message}`);
      refuse(bad ? 400 : 500, bad ? 'Bad Request' : 'Internal Server Error');
    }
  });

  function reply(ws: WebSocket, message: unknown): void {
    if (ws.readyState !== ws.OPEN) return; // the client left before the answer: nothing to tell
    ws.send(JSON.stringify(message), (err) => { if (err) log(`websocket send failed: ${err.message}`); });
  }

  async function onMessage(ws: WebSocket, text: string): Promise<void> {
    let id: unknown = null;
    try {
      const msg = JSON.parse(text) as { id?: unknown; call?: unknown; args?: unknown } | null;
      if (!msg || typeof msg !== 'object') throw new Error('a message is a JSON object {id, call, args}');
      id = msg.id;
      if (typeof id !== 'number') throw new Error('message needs a numeric id');
      const { name, args } = parseCall(msg.call, msg.args);
      const result = await options.engine.call(name, args);
      reply(ws, { id, ok: true, result });
    } catch (err) {
      reply(ws, { id: typeof id === 'number' ? id : null, ok: false, error: err instanceof Error ? err.message : String(err) });
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
          for (const c of clients) if (c.readyState === c.OPEN) c.send(text, (err) => { if (err) log(`websocket send failed: ${err.message}`); });
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
