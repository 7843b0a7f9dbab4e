// What HTTP and WebSocket handling share about a request: its target, its peer, the hosts and origins we
// answer, and the BadRequest that turns hostile input into a 400 and a log line.
import type http from 'node:http';

/** Thrown for input we refuse with a 400: the message goes to the log and (briefly) to the client. */
export class BadRequest extends Error {}

/** decodeURIComponent that refuses a bad escape (%E0%A4%A) with BadRequest instead of a URIError. */
export function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BadRequest(`${what} has a malformed %-escape`);
  }
}

/** The request target as a URL on our origin; anything but an origin-form path ("/…") is refused. */
export function requestUrl(req: http.IncomingMessage): URL {
  const target = req.url ?? '/';
  // prefixed, not resolved against a base: "//host/…" would otherwise be read as another host
  if (!target.startsWith('/')) throw new BadRequest('the request target is not a path');
  try {
    return new URL(`http://127.0.0.1${target}`);
  } catch {
    throw new BadRequest('the request target is not a valid URL path');
  }
}

export function peer(req: http.IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}

/** The request target for a log line: quoted, cut short, and with every token parameter's value blanked. */
export function loggedTarget(req: http.IncomingMessage): string {
  const target = req.url ?? '';
  const q = target.indexOf('?');
  const shown = q < 0 ? target : `${target.slice(0, q + 1)}${target.slice(q + 1).split('&').map(blankToken).join('&')}`;
  return JSON.stringify(shown.slice(0, 200));
}

/** `token=…` for a query parameter named token (also spelled with %-escapes, as URLSearchParams reads it); others as they are. */
function blankToken(param: string): string {
  const eq = param.indexOf('=');
  if (eq < 0) return param;
  const key = param.slice(0, eq);
  let name = key;
  try { name = decodeURIComponent(key.replace(/\+/g, ' ')); } catch { /* a bad escape: judged as written */ }
  return name === 'token' ? `${key}=…` : param;
}

/** The Host headers we answer (anything else is DNS rebinding) and the Origins a WebSocket may come from. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}
export function allowedOrigins(port: number): string[] {
  return allowedHosts(port).map((h) => `http://${h}`);
}

/** At most `burst` lines per `windowMs`; the rest are counted and summed up in the next line let through. */
export function rateLimited(write: (line: string) => void, burst = 20, windowMs = 10_000): (line: string) => void {
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
