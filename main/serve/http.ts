// Serve mode's HTTP side: the renderer build as static files, behind the host and token checks, with the
// headers that keep the page to itself (CSP, no sniffing, no referrer, no cache).
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import fs from 'node:fs';
import path from 'node:path';
import { hasToken, tokenCookie } from './auth';
import { allowedHosts, BadRequest, decode, loggedTarget, peer, requestUrl } from './request';

/** What the static handler needs to know of the running server; `port()` is known only once it listens. */
export interface StaticSite {
  rendererDir: string;
  token: string;
  port(): number;
  log(line: string): void;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon',
};

export function deny(res: http.ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}

function fileHeaders(file: string, site: StaticSite): http.OutgoingHttpHeaders {
  const port = site.port();
  return {
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy':
      `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; ` +
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'Set-Cookie': tokenCookie(site.token),
  };
}

function serveFile(req: http.IncomingMessage, res: http.ServerResponse, site: StaticSite): void {
  const url = requestUrl(req);
  if (!allowedHosts(site.port()).includes(req.headers.host ?? '')) return deny(res, 403, 'forbidden host');
  if (!hasToken(req, url, site.token)) return deny(res, 401, 'missing or wrong token: open the URL that `merge-studio serve` printed');
  if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'method not allowed');
  const rel = decode(url.pathname === '/' ? '/index.html' : url.pathname, 'the path');
  if (rel.includes('\0')) throw new BadRequest('the path holds a NUL byte');
  const file = path.resolve(site.rendererDir, '.' + rel);
  if (file !== site.rendererDir && !file.startsWith(site.rendererDir + path.sep)) return deny(res, 403, 'forbidden path');
  fs.readFile(file, (err, data) => {
    if (err) return deny(res, 404, 'not found');
    res.writeHead(200, fileHeaders(file, site));
    res.end(req.method === 'HEAD' ? undefined : data);
  });
}

/** The request listener: a file, or a refusal; a request that throws is a 400 (BadRequest) or 500, never a crash. */
export function staticHandler(site: StaticSite): http.RequestListener {
  return (req, res) => {
    try {
      serveFile(req, res, site);
    } catch (err) {
      const bad = err instanceof BadRequest;
      site.log(`${bad ? 'refused' : 'failed'} ${req.method} ${loggedTarget(req)} from ${peer(req)}: ${(err as Error).message}`);
      if (!res.headersSent) deny(res, bad ? 400 : 500, bad ? `bad request: ${(err as Error).message}` : 'internal error');
      else res.destroy();
    }
  };
}

/** Requests Node's parser cannot read (bad request lines, huge headers): a 400, never a crash. */
export function onClientError(log: (line: string) => void): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET') return void socket.destroy(); // the client left: nothing to refuse
    log(`refused an unreadable request: ${err.code ?? err.message}`);
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
    else socket.destroy();
  };
}
