// Serve mode's WebSocket side: the /api upgrade (host, origin and token checked), then JSON call frames
// {id, call, args} answered with {id, ok, result|error}, and events broadcast to every client. A bad frame
// closes that connection with a code and a log line; it never stops the server.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseCall, type StudioEvent } from '../engine/api';
import { hasToken } from './auth';
import { allowedHosts, allowedOrigins, BadRequest, loggedTarget, peer, requestUrl } from './request';

export interface ApiSite {
  token: string;
  port(): number;
  log(line: string): void;
  engine: { call(name: string, args: unknown): Promise<unknown> };
}

export interface ApiSocket {
  /** The server's 'upgrade' listener. */
  onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  broadcast(event: StudioEvent): void;
  /** Drops every client and stops accepting. */
  close(): void;
}

export function createApiSocket(site: ApiSite): ApiSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  const clients = new Set<WebSocket>();
  wss.on('error', (err) => site.log(`websocket server: ${err.message}`));
  const send = (ws: WebSocket, text: string) => ws.send(text, (err) => { if (err) site.log(`websocket send failed: ${err.message}`); });

  const accept = (ws: WebSocket, who: string) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    // ws closes the connection itself (1009 too big, 1007 invalid UTF-8, 1002 protocol error) after
    // this event; without a listener the event would be an uncaught error that ends the process.
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ECONNRESET') return; // the client left: nothing was refused
      site.log(`websocket from ${who} closed: ${err.message}${err.code ? ` (${err.code})` : ''}`);
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        site.log(`websocket from ${who}: refused a binary message`);
        return ws.close(1003, 'text messages only');
      }
      void answer(site.engine, data.toString()).then((reply) => {
        if (ws.readyState === ws.OPEN) send(ws, JSON.stringify(reply)); // else the client left before the answer
      });
    });
  };

  return {
    onUpgrade: (req, socket, head) => {
      // Node hands the raw socket over without an error listener: a reset here must not be an uncaught error.
      const onSocketError = (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNRESET') site.log(`websocket handshake from ${peer(req)}: ${err.code ?? err.message}`); // a reset: the client left
      };
      socket.on('error', onSocketError);
      const refuse = (code: number, text: string) => {
        socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
      };
      try {
        const refused = upgradeRefusal(req, site);
        if (refused) return refuse(...refused);
        wss.handleUpgrade(req, socket, head, (ws) => {
          socket.off('error', onSocketError); // the WebSocket reports its own errors from here on (accept)
          accept(ws, peer(req));
        });
      } catch (err) {
        const bad = err instanceof BadRequest;
        site.log(`${bad ? 'refused' : 'failed'} websocket ${loggedTarget(req)} from ${peer(req)}: ${(err as Error).message}`);
        refuse(bad ? 400 : 500, bad ? 'Bad Request' : 'Internal Server Error');
      }
    },
    broadcast: (event) => {
      const text = JSON.stringify({ event });
      for (const c of clients) if (c.readyState === c.OPEN) send(c, text);
    },
    close: () => {
      for (const c of clients) c.terminate();
      wss.close();
    },
  };
}

/** Why an upgrade is refused (status, reason phrase), or null to accept it; BadRequest for unreadable input. */
function upgradeRefusal(req: http.IncomingMessage, site: ApiSite): [number, string] | null {
  const url = requestUrl(req);
  if (!allowedHosts(site.port()).includes(req.headers.host ?? '')) return [403, 'Forbidden'];
  if (!allowedOrigins(site.port()).includes(req.headers.origin ?? '')) return [403, 'Forbidden'];
  if (url.pathname !== '/api') return [404, 'Not Found'];
  if (!hasToken(req, url, site.token)) return [401, 'Unauthorized'];
  return null;
}

/** One call frame's answer: {id, ok: true, result} or {id, ok: false, error} (id null when the frame had none). */
async function answer(engine: ApiSite['engine'], text: string): Promise<unknown> {
  let id: unknown = null;
  try {
    const msg = JSON.parse(text) as { id?: unknown; call?: unknown; args?: unknown } | null;
    if (!msg || typeof msg !== 'object') throw new Error('a message is a JSON object {id, call, args}');
    id = msg.id;
    if (typeof id !== 'number') throw new Error('message needs a numeric id');
    const { name, args } = parseCall(msg.call, msg.args);
    const result = await engine.call(name, args);
    return { id, ok: true, result };
  } catch (err) {
    return { id: typeof id === 'number' ? id : null, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
