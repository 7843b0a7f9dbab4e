// Desktop hardening, asserted from the sources since no Electron binary runs here: the fuses in the
// packaging config (validated by electron-builder's own schema in electron-builder-config.test.ts), the
// window guards driven through a fake WebContents, and main/desktop/index.ts wiring them to every web contents and
// every IPC handler.
import { describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { EXTERNAL_HOSTS, guardWebContents, isAllowedExternal, isAppUrl, isTrustedSender } from '../../../main/desktop/window-guards';

const ROOT = path.resolve(__dirname, '../../..');
const config = YAML.parse(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8'));
const mainSource = fs.readFileSync(path.join(ROOT, 'main/desktop/index.ts'), 'utf8');
const preloadSource = fs.readFileSync(path.join(ROOT, 'preload/index.ts'), 'utf8');

describe('Electron fuses (electron-builder electronFuses)', () => {
  it('turns off RunAsNode, NODE_OPTIONS and the inspect flags, and loads the app only from a checked asar', () => {
    expect(config.asar).toBe(true);
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('names only fuses that @electron/fuses knows', () => {
    // electron-builder maps each key to a FuseV1Options entry: a misspelt key would flip nothing
    const { FuseV1Options } = require('@electron/fuses');
    const known = Object.keys(FuseV1Options).filter((k) => Number.isNaN(Number(k))).map((k) => k[0].toLowerCase() + k.slice(1));
    for (const key of Object.keys(config.electronFuses)) expect(known).toContain(key);
  });
});

class FakeContents extends EventEmitter {
  openHandler?: (d: { url: string }) => { action: string };
  setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' } | { action: 'allow' }) { this.openHandler = h; }
  /** Emits like Electron: returns whether a listener called preventDefault(). */
  fire(name: string, url: string): boolean {
    let prevented = false;
    this.emit(name, { url, preventDefault: () => { prevented = true; } }, url);
    return prevented;
  }
}

describe('window guards', () => {
  const guarded = () => {
    const wc = new FakeContents();
    const opened: string[] = [];
    guardWebContents(wc, (u) => { opened.push(u); });
    return { wc, opened };
  };

  it('opens only https links to listed hosts, in the user\'s browser, and never a window', () => {
    const { wc, opened } = guarded();
    const urls = ['https://github.com/x/y', 'https://pytorch.org/docs', 'http://github.com/', 'https://evil.example/', 'https://github.com.evil.example/',
      'https://user:pw@github.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'https://github.com:8443/', 'app://renderer/index.html'];
    for (const u of urls) expect(wc.openHandler!({ url: u })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://github.com/x/y', 'https://pytorch.org/docs']);
    for (const h of EXTERNAL_HOSTS) expect(isAllowedExternal(`https://${h}/`)).toBe(true);
  });

  it('blocks navigation, frame navigation and redirects away from app://renderer, and <webview>', () => {
    const { wc } = guarded();
    for (const ev of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      expect(wc.fire(ev, 'app://renderer/index.html'), ev).toBe(false);
      for (const bad of ['https://github.com/', 'file:///etc/passwd', 'app://other/x', 'http://127.0.0.1:5317/']) expect(wc.fire(ev, bad), `${ev} ${bad}`).toBe(true);
    }
    expect(wc.fire('will-attach-webview', 'app://renderer/x')).toBe(true);
    expect(isAppUrl('app://renderer/a/b.js')).toBe(true);
    expect(isAppUrl('app://renderer.evil/')).toBe(false);
  });

  it('accepts IPC from our window\'s main frame on our page only', () => {
    const mainFrame = { url: 'app://renderer/index.html', processId: 4, routingId: 1, parent: null };
    const webContents = { mainFrame };
    const win = { webContents };
    expect(isTrustedSender({ sender: webContents, senderFrame: mainFrame }, win)).toBe(true);
    // a subframe, even one of our origin
    expect(isTrustedSender({ sender: webContents, senderFrame: { url: 'app://renderer/x.html', processId: 4, routingId: 7, parent: mainFrame } }, win)).toBe(false);
    // another web contents, a page navigated elsewhere, no frame, no window
    expect(isTrustedSender({ sender: {}, senderFrame: mainFrame }, win)).toBe(false);
    expect(isTrustedSender({ sender: webContents, senderFrame: { ...mainFrame, url: 'https://evil.example/' } }, win)).toBe(false);
    expect(isTrustedSender({ sender: webContents, senderFrame: null }, win)).toBe(false);
    expect(isTrustedSender({ sender: webContents, senderFrame: mainFrame }, null)).toBe(false);
  });
});

describe('main/desktop/index.ts wires the guards', () => {
  it('guards every web contents, and checks the sender in every IPC handler', () => {
    expect(mainSource).toMatch(/app\.on\('web-contents-created',[\s\S]{0,80}guardWebContents\(contents/);
    expect(mainSource).toMatch(/guardWebContents\(contents[^\n]{0,120}, \(url\) => shell\.openExternal\(url\)/);
    const handlers = [...mainSource.matchAll(/ipcMain\.(handle|on)\('([^']+)',[^\n]*\n([^\n]*\n){0,3}/g)];
    expect(handlers.map((h) => h[2]).sort()).toEqual(['studio:call', 'studio:dropped']);
    for (const h of handlers) expect(h[0], h[2]).toMatch(/isTrustedSender\(event, mainWindow\)/);
    // shell.openExternal is reached only through the guard's allowlist
    expect(mainSource.match(/shell\.openExternal/g)).toHaveLength(1);
    expect(mainSource).not.toMatch(/will-navigate|setWindowOpenHandler/); // one place for these: window-guards.ts
  });

  it('adds the native dialog\'s picks and trusted drops as allowed roots, and nothing else', () => {
    expect(mainSource).toMatch(/engine\.allowRoots\(a\.directory \? paths : paths\.map\(\(p\) => path\.dirname\(p\)\)\)/);
    expect(mainSource.match(/engine\.allowRoots\(/g)).toHaveLength(2);
    expect(preloadSource).toMatch(/if \(!e\.isTrusted\) return;[\s\S]*ipcRenderer\.send\('studio:dropped', paths\);[\s\S]*postMessage/);
  });

  it('keeps the fake-contents test honest: the guard listens on the real event names', () => {
    const wc = new FakeContents();
    const on = vi.spyOn(wc, 'on');
    guardWebContents(wc, () => {});
    expect(on.mock.calls.map((c) => c[0]).sort()).toEqual(['will-attach-webview', 'will-frame-navigate', 'will-navigate', 'will-redirect']);
  });
});
