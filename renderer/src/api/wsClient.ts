// The browser-served mode's transport: the same StudioApi over a WebSocket to `merge-studio serve`.
import { CALL_NAMES, StudioEvent, type StudioApi } from '../../../main/engine/api';

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void }

export function createWsClient(url: string): StudioApi {
  const listeners = new Set<(e: StudioEvent) => void>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: WebSocket;
  let open: Promise<void>;

  function connect(): void {
    socket = new WebSocket(url);
    open = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error('cannot reach the Merge Studio server')), { once: true });
    });
    socket.addEventListener('message', (m) => {
      const msg = JSON.parse(String(m.data)) as { id?: number; ok?: boolean; result?: unknown; error?: string; event?: unknown };
      if (msg.event !== undefined) {
        // Events cross a process boundary: only well-formed ones reach the UI.
        const event = StudioEvent.safeParse(msg.event);
        if (event.success) for (const l of listeners) l(event.data);
      }
      else if (typeof msg.id === 'number') {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.ok) p?.resolve(msg.result);
        else p?.reject(new Error(msg.error ?? 'call failed'));
      }
    });
    socket.addEventListener('close', () => {
      for (const p of pending.values()) p.reject(new Error('lost the connection to the Merge Studio server'));
      pending.clear();
    });
  }
  connect();

  const call = async (name: string, args: unknown) => {
    if (socket.readyState === WebSocket.CLOSED) connect();
    await open;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, call: name, args: args ?? {} }));
    });
  };

  const api = Object.fromEntries(CALL_NAMES.map((n) => [n, (args: unknown) => call(n, args)])) as Omit<StudioApi, 'onEvent'>;
  return {
    ...api,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
