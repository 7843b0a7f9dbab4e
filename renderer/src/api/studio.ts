// The renderer's one way to the engine: window.studio when preload put it there (Electron),
// else a WebSocket client with the same type (browser-served mode).
import type { StudioApi } from '../../../main/engine/api';
import { takeServeToken } from './serveToken';
import { createWsClient } from './wsClient';

declare global {
  interface Window { studio?: StudioApi }
}

function pick(): StudioApi {
  if (window.studio) return window.studio;
  const token = takeServeToken(window);
  const wsUrl = `ws://${window.location.host}/api?token=${encodeURIComponent(token)}`;
  return createWsClient(wsUrl);
}

export const studio: StudioApi = pick();
export const transportName = window.studio ? 'electron' : 'websocket';
