// Electron main: the window, its hardening, the app:// protocol, the engine host's life cycle and the
// bridge that validates every call (schema + sender) before it reaches the engine.
import { app, BrowserWindow, dialog, ipcMain, protocol, net, session, utilityProcess, shell } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EngineClient, type HostTransport } from '../engineClient';
import { z } from 'zod';
import { parseCall, type StudioEvent } from '../engine/api';
import { appUrlToFile } from './app-url';
import { APP_ORIGIN, guardWebContents, isTrustedSender } from './window-guards';

const RENDERER_DIR = path.join(__dirname, '..', 'renderer');
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let mainWindow: BrowserWindow | null = null;

function spawnUtilityHost(): HostTransport {
  const child = utilityProcess.fork(path.join(__dirname, 'host.js'), [], {
    serviceName: 'Merge Studio engine',
    env: { ...process.env, MERGE_STUDIO_MODE: 'electron' },
  });
  return {
    send: (m) => child.postMessage(m),
    onMessage: (l) => child.on('message', l),
    onExit: (l) => child.on('exit', (code) => l(code)),
    kill: () => { child.kill(); },
  };
}

const engine = new EngineClient(spawnUtilityHost, (event: StudioEvent) => {
  mainWindow?.webContents.send('studio:event', event);
});

const STATUS_TEXT = { 400: 'bad request', 403: 'forbidden', 404: 'not found' } as const;

/** Map app://renderer/<path> into the renderer build, refusing anything that escapes it (app-url.ts). */
function registerAppProtocol(): void {
  protocol.handle('app', async (request) => {
    const target = appUrlToFile(request.url, RENDERER_DIR);
    if ('status' in target) return new Response(STATUS_TEXT[target.status], { status: target.status });
    const res = await net.fetch(pathToFileURL(target.file).toString());
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1320,
    height: 860,
    title: 'Merge Studio',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, '..', 'preload', 'index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  void mainWindow.loadURL(`${APP_ORIGIN}/index.html`);
}

ipcMain.handle('studio:call', async (event, name: unknown, args: unknown) => {
  // Only our own window's main frame, on our own page, may call the engine.
  if (!isTrustedSender(event, mainWindow) || !mainWindow) throw new Error('refused: call from an unknown frame');
  const call = parseCall(name, args);
  if (call.name === 'pickFiles') {
    // Native dialogs belong to main, not the engine.
    const a = call.args as { title?: string; directory?: boolean };
    const r = await dialog.showOpenDialog(mainWindow, {
      title: a.title ?? 'Open models',
      properties: a.directory ? ['openDirectory'] : ['openFile', 'multiSelections'],
      filters: a.directory ? [] : [{ name: 'Models', extensions: ['pt', 'pth', 'bin', 'ckpt', 'safetensors', 'json', 'onnx'] }, { name: 'All files', extensions: ['*'] }],
    });
    const paths = r.canceled ? [] : r.filePaths;
    // What the user picked in a native dialog becomes an allowed root (a folder, or a file's folder), so
    // that paths under it pass the engine's check; nothing else the renderer names does.
    engine.allowRoots(a.directory ? paths : paths.map((p) => path.dirname(p)));
    return { available: true, paths };
  }
  return engine.call(call.name, call.args);
});

// Preload tells the folders of files the user dropped on the window (a trusted drop event only).
const DroppedPaths = z.array(z.string().min(1).max(4096)).max(1000);
ipcMain.on('studio:dropped', (event, paths: unknown) => {
  const parsed = DroppedPaths.safeParse(paths);
  if (!isTrustedSender(event, mainWindow) || !parsed.success) return;
  engine.allowRoots(parsed.data.map((p) => path.dirname(p)));
});

// Every web contents (the window, and anything it might create): no new windows, only allowed links to the
// user's browser, no navigation or redirect away from our pages, no <webview>.
app.on('web-contents-created', (_e, contents) => {
  guardWebContents(contents as unknown as Parameters<typeof guardWebContents>[0], (url) => shell.openExternal(url), (line) => console.error(`merge-studio: ${line}`));
});

app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  registerAppProtocol();
  await engine.start();
  createWindow();
  app.on('activate', () => { if (BrowserWindow.getAllWindows().length === 0) createWindow(); });
});

app.on('window-all-closed', () => {
  engine.stop();
  if (process.platform !== 'darwin') app.quit();
});
