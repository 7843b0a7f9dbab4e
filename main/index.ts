// Electron main: the window, its hardening, the app:// protocol, the engine host's life cycle and the
// bridge that validates every call (schema + sender) before it reaches the engine.
import { app, BrowserWindow, dialog, ipcMain, protocol, net, session, utilityProcess, shell } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EngineClient, type HostTransport } from './engineClient';
import { parseCall, type StudioEvent } from './engine/api';

const APP_ORIGIN = 'app://renderer';
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

/** Map app://renderer/<path> into the renderer build, refusing anything that escapes it. */
function registerAppProtocol(): void {
  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'renderer') return new Response('not found', { status: 404 });
    const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = path.resolve(RENDERER_DIR, '.' + rel);
    if (!file.startsWith(RENDERER_DIR + path.sep)) return new Response('forbidden', { status: 403 });
    const res = await net.fetch(pathToFileURL(file).toString());
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
  const wc = mainWindow.webContents;
  wc.setWindowOpenHandler(({ url }) => {
    // Links to the web open in the user's browser; nothing opens inside the app.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  wc.on('will-navigate', (e, url) => { if (!url.startsWith(APP_ORIGIN + '/')) e.preventDefault(); });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  void mainWindow.loadURL(`${APP_ORIGIN}/index.html`);
}

ipcMain.handle('studio:call', async (event, name: unknown, args: unknown) => {
  // Only our own top frame may call the engine.
  const frameUrl = event.senderFrame?.url ?? '';
  if (!mainWindow || event.sender !== mainWindow.webContents || !frameUrl.startsWith(APP_ORIGIN + '/')) {
    throw new Error('refused: call from an unknown frame');
  }
  const call = parseCall(name, args);
  if (call.name === 'pickFiles') {
    // Native dialogs belong to main, not the engine.
    const a = call.args as { title?: string; directory?: boolean };
    const r = await dialog.showOpenDialog(mainWindow, {
      title: a.title ?? 'Open models',
      properties: a.directory ? ['openDirectory'] : ['openFile', 'multiSelections'],
      filters: a.directory ? [] : [{ name: 'Models', extensions: ['pt', 'pth', 'bin', 'ckpt', 'safetensors', 'json', 'onnx'] }, { name: 'All files', extensions: ['*'] }],
    });
    return { available: true, paths: r.canceled ? [] : r.filePaths };
  }
  return engine.call(call.name, call.args);
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
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
