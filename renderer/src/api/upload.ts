// Browser mode only: a browser never tells the page where a dropped file lives, so the page sends the file itself
// to `merge-studio serve` (main/serve/upload.ts), which keeps a copy in the workspace's imports folder and answers
// with its path. The desktop app never needs this: it is told the dropped file's real path.
import { takeServeToken } from './serveToken';

/** What may be dropped; the server checks again. */
export const MODEL_EXTENSIONS = ['.safetensors', '.pt', '.pth', '.bin', '.ckpt', '.onnx'];
export const RECIPE_EXTENSIONS = ['.yaml', '.yml'];

export type DroppedKind = 'model' | 'recipe' | null;

/** A dropped file's kind from its name: a model, a recipe, or neither. */
export function droppedKind(name: string): DroppedKind {
  const dot = name.lastIndexOf('.');
  const ext = dot < 0 ? '' : name.slice(dot).toLowerCase();
  return MODEL_EXTENSIONS.includes(ext) ? 'model' : RECIPE_EXTENSIONS.includes(ext) ? 'recipe' : null;
}

export interface Uploaded { path: string; name: string; bytes: number }

/** Sends `file` to the server; resolves with where it was kept, or fails with the server's reason. */
export async function uploadFile(file: File): Promise<Uploaded> {
  const token = takeServeToken(window);
  const url = `/api/upload?name=${encodeURIComponent(file.name)}${token ? `&token=${encodeURIComponent(token)}` : ''}`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body: file, credentials: 'same-origin' });
  } catch {
    throw new Error(`${file.name}: the copy broke off before it was complete (was the file too large, or the server stopped?); nothing was kept`);
  }
  const answer = (await res.json().catch(() => ({}))) as Partial<Uploaded> & { error?: string };
  if (!res.ok || !answer.path) throw new Error(`${file.name}: ${answer.error ?? `the server refused the copy (${res.status})`}`);
  return { path: answer.path, name: answer.name ?? file.name, bytes: answer.bytes ?? file.size };
}
