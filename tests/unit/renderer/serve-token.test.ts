// Serve mode's token leaves the address bar once the page has it, and a reload still finds it.
import { describe, expect, it } from 'vitest';
import { takeServeToken, type TokenPlace } from '../../../renderer/src/api/serveToken';

/** A window's location, history and sessionStorage, enough for the token: replaceState moves the address. */
function page(href: string): TokenPlace & { replaced: string[] } {
  const stored = new Map<string, string>();
  const replaced: string[] = [];
  const place = {
    location: { href },
    history: {
      state: { step: 1 },
      replaceState: (_state: unknown, _unused: string, url: string) => {
        replaced.push(url);
        place.location.href = new URL(url, place.location.href).href;
      },
    },
    sessionStorage: { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v) },
    replaced,
  };
  return place;
}

describe('the serve token on the page', () => {
  it('takes the token from the address, drops it from the address bar (other parameters kept) and keeps it for a reload', () => {
    const p = page('http://127.0.0.1:5317/?x=1&token=s3cr3t-To_ken#/merge');
    expect(takeServeToken(p)).toBe('s3cr3t-To_ken');
    expect(p.replaced).toEqual(['/?x=1#/merge']);
    expect(p.location.href).not.toContain('s3cr3t');
    // the reload: the address has no token now; the session still does
    expect(takeServeToken(p)).toBe('s3cr3t-To_ken');
    expect(p.replaced).toHaveLength(1);
  });

  it('gives an empty token when neither the address nor the session has one', () => {
    const p = page('http://127.0.0.1:5317/');
    expect(takeServeToken(p)).toBe('');
    expect(p.replaced).toEqual([]);
  });

  it('still gives the token when the session refuses to store it', () => {
    const p = page('http://127.0.0.1:5317/?token=abc');
    p.sessionStorage.setItem = () => { throw new Error('QuotaExceededError'); };
    expect(takeServeToken(p)).toBe('abc');
    expect(p.replaced).toEqual(['/']);
  });
});
