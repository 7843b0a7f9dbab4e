// Serve mode's token on the page: read once from the address (?token=), kept in sessionStorage, and dropped
// from the address bar so it is not left in the history, a bookmark or a shared screen. A reload finds it
// in the session (and the server's cookie lets the page itself in).
const KEY = 'merge-studio-token';

/** The parts of window the token needs (a test passes its own). */
export interface TokenPlace {
  location: { href: string };
  history: { state: unknown; replaceState(state: unknown, unused: string, url: string): void };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

export function takeServeToken(place: TokenPlace): string {
  const url = new URL(place.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl === null) return readStored(place);
  try {
    place.sessionStorage.setItem(KEY, fromUrl);
  } catch { /* storage refused (privacy mode): the token still works for this page */ }
  url.searchParams.delete('token');
  place.history.replaceState(place.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  return fromUrl;
}

function readStored(place: TokenPlace): string {
  try {
    return place.sessionStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}
