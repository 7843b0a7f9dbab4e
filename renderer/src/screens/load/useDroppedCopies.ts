// Files dropped on the Load screen in a browser: each model or recipe is copied into the workspace's imports
// folder (api/upload.ts) and then opened by that path, as a picked file would be. Folders cannot be sent.
import { useState } from 'react';
import { droppedKind, uploadFile } from '../../api/upload';

export interface DropTargets {
  openModel(path: string): Promise<void>;
  openRecipe(path: string): Promise<void>;
  fail(name: string, message: string): void;
}

export interface DroppedCopies {
  /** Call from the drop handler; it reads the drop at once (a browser empties it after the event). */
  take(data: DataTransfer): void;
  /** Each copy made: the file's name and where it was kept. */
  copies: { name: string; path: string }[];
  busy: number;
}

export function useDroppedCopies(targets: DropTargets): DroppedCopies {
  const [copies, setCopies] = useState<{ name: string; path: string }[]>([]);
  const [busy, setBusy] = useState(0);

  async function copyAndOpen(file: File, folder: boolean) {
    if (folder) return targets.fail(file.name, 'a browser cannot send a folder: use Open model folder…, or type its path');
    const kind = droppedKind(file.name);
    if (!kind) return targets.fail(file.name, 'only model files (.safetensors, .pt, .pth, .bin, .ckpt, .onnx) and recipes (.yaml, .yml) can be dropped here');
    setBusy((b) => b + 1);
    try {
      const kept = await uploadFile(file);
      setCopies((c) => [...c, { name: file.name, path: kept.path }]);
      await (kind === 'model' ? targets.openModel(kept.path) : targets.openRecipe(kept.path));
    } catch (e) {
      targets.fail(file.name, e instanceof Error ? e.message : String(e));
    } finally {
      setBusy((b) => b - 1);
    }
  }

  function take(data: DataTransfer) {
    const folders = new Set<string>();
    for (const item of Array.from(data.items ?? [])) {
      if (item.kind === 'file' && item.webkitGetAsEntry?.()?.isDirectory) folders.add(item.getAsFile()?.name ?? '');
    }
    // one at a time: a second large copy would only slow the first
    void Array.from(data.files).reduce((prev, f) => prev.then(() => copyAndOpen(f, folders.has(f.name))), Promise.resolve());
  }

  return { take, copies, busy };
}
