// The token that guards serve mode: made at start, accepted in the URL (?token=) or in our cookie, which
// the page's response sets so the page's own requests carry it.
import type http from 'node:http';
import crypto from 'node:crypto';
import { BadRequest } from './request';

export const COOKIE = 'merge_studio_token';

export function newToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
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

/** True with the right token (in the URL or any cookie); false without; BadRequest for a malformed cookie and no token. */
export function hasToken(req: http.IncomingMessage, url: URL, token: string): boolean {
  const t = url.searchParams.get('token');
  if (t !== null && safeEqual(t, token)) return true;
  const cookies = cookieTokens(req);
  if (cookies.values.some((v) => safeEqual(v, token))) return true;
  if (cookies.malformed) throw new BadRequest(`the ${COOKIE} cookie has a malformed %-escape`);
  return false;
}

/** The Set-Cookie value that lets the page's later requests (scripts, the WebSocket) in without the URL's token. */
export function tokenCookie(token: string): string {
  return `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

/** A log that never shows the token: a line carrying it (however it got there) has it replaced by "[token]". */
export function withoutToken(token: string, log: (line: string) => void): (line: string) => void {
  return (line) => log(line.split(token).join('[token]'));
}
