// Preload (sandboxed, CommonJS): exposes exactly one object, window.studio, with one function per API call
// plus onEvent, which forwards only the event payload (never the IPC event object).
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { CALL_NAMES } from '../main/engine/callNames';
import type { StudioApi, StudioEvent } from '../main/engine/api';

const api = Object.fromEntries(
  CALL_NAMES.map((name) => [name, (args: unknown) => ipcRenderer.invoke('studio:call', name, args ?? {})]),
) as Omit<StudioApi, 'onEvent'>;

const studio: StudioApi = {
  ...api,
  onEvent(listener) {
    const wrapped = (_e: IpcRendererEvent, event: StudioEvent) => listener(event);
    ipcRenderer.on('studio:event', wrapped);
    return () => ipcRenderer.removeListener('studio:event', wrapped);
  },
};

contextBridge.exposeInMainWorld('studio', studio);

// Drag-and-drop: only preload can turn a dropped File into its path. It tells main first (the dropped files'
// folders become allowed roots for the engine's path check), then hands the page the paths (plain strings,
// by postMessage) rather than adding anything to window.studio. Only a real drop counts, not one a script
// dispatched (and a File a script made has no path).
window.addEventListener('drop', (e) => {
  if (!e.isTrusted) return;
  const files = Array.from(e.dataTransfer?.files ?? []);
  const paths = files.map((f) => webUtils.getPathForFile(f)).filter(Boolean);
  if (!paths.length) return;
  ipcRenderer.send('studio:dropped', paths);
  window.postMessage({ type: 'merge-studio:dropped-paths', paths }, window.location.origin);
});
