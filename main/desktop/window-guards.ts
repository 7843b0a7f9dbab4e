// The desktop window's guards, apart from Electron so that a unit test can drive them: which URLs the app
// loads (its own app://renderer pages only), which links open in the user's browser (https to a short
// list of hosts), and which IPC senders are ours (the main frame of our window, on our origin).

export const APP_ORIGIN = 'app://renderer';

/** Hosts a link may open in the user's browser (docs and papers the app points to); nothing else. */
export const EXTERNAL_HOSTS: readonly string[] = ['github.com', 'pytorch.org', 'onnxruntime.ai', 'onnx.ai', 'arxiv.org', 'huggingface.co', 'www.electronjs.org'];

function parsed(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** One of our own pages: app://renderer/… (a custom scheme's origin reads "null", so scheme and host are compared). */
export function isAppUrl(url: string): boolean {
  const u = parsed(url);
  return !!u && u.protocol === 'app:' && u.host === 'renderer';
}

/** An https link to a listed host, with no credentials in it. */
export function isAllowedExternal(url: string): boolean {
  const u = parsed(url);
  return !!u && u.protocol === 'https:' && !u.username && !u.password && EXTERNAL_HOSTS.includes(u.hostname) && (u.port === '' || u.port === '443');
}

/** What of Electron's WebContents the guards use (a fake in tests). */
export interface GuardedContents {
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
  on(event: string, listener: (event: { preventDefault(): void; url?: string }, url?: string) => void): unknown;
}

/**
 * No new windows (allowed links go to the user's browser instead), no navigation or redirect away from our
 * pages, in the top frame or any other, and no <webview>.
 */
export function guardWebContents(wc: GuardedContents, openExternal: (url: string) => unknown, log: (line: string) => void = () => {}): void {
  wc.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) void Promise.resolve(openExternal(url)).catch(() => {});
    else log(`refused to open ${url.slice(0, 200)}`);
    return { action: 'deny' };
  });
  const stayHome = (what: string) => (e: { preventDefault(): void; url?: string }, url?: string) => {
    const target = e.url ?? url ?? '';
    if (isAppUrl(target)) return;
    e.preventDefault();
    log(`refused ${what} to ${target.slice(0, 200)}`);
  };
  wc.on('will-navigate', stayHome('navigation'));
  wc.on('will-frame-navigate', stayHome('frame navigation'));
  wc.on('will-redirect', stayHome('redirect'));
  wc.on('will-attach-webview', (e) => e.preventDefault());
}

interface FrameLike { url: string; processId: number; routingId: number; parent?: unknown }

/**
 * True only for IPC from our window's main frame showing one of our pages: not from a subframe (an
 * iframe, even of our origin), not from another window, not from a page that navigated elsewhere.
 */
export function isTrustedSender(
  event: { sender: unknown; senderFrame?: FrameLike | null },
  main: { webContents: { mainFrame: FrameLike } } | null | undefined,
): boolean {
  if (!main || event.sender !== main.webContents) return false;
  const frame = event.senderFrame;
  const top = main.webContents.mainFrame;
  if (!frame || frame.parent) return false;
  return frame.processId === top.processId && frame.routingId === top.routingId && isAppUrl(frame.url);
}
