// The browser mode's file browser (a native dialog where there is one): folders inside the allowed roots.
// Several files (Load) or one (a base model, an ONNX graph), optionally only those `accept` allows.
import { useEffect, useState } from 'react';
import { ArrowUp, File, Folder } from 'lucide-react';
import type { BrowseResult } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { formatBytes } from './format';

export function FileBrowser({ onOpen, onClose, title = 'Choose model files', multiple = true, accept, onOpenFolder }: {
  onOpen: (paths: string[]) => void;
  onClose: () => void;
  title?: string;
  multiple?: boolean;
  /** Which files may be picked (the others are listed, greyed); default: every file. */
  accept?: (name: string) => boolean;
  /** When given, the folder shown may be chosen itself (a Hugging Face model folder). */
  onOpenFolder?: (dir: string) => void;
}) {
  const [listing, setListing] = useState<BrowseResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<string[]>([]);

  const go = (dir?: string) => {
    setError(null);
    studio.browse(dir ? { dir } : {}).then(setListing, (e: Error) => setError(e.message));
  };
  useEffect(() => go(), []);

  const toggle = (p: string) => setPicked((s) => (s.includes(p) ? s.filter((x) => x !== p) : multiple ? [...s, p] : [p]));

  return (
    <div className="rounded-lg border border-slate-300 bg-white p-4 shadow" role="dialog" aria-label={title}>
      <div className="mb-1 text-sm font-medium">{title}</div>
      <div className="mb-2 flex items-center gap-2">
        <button type="button" disabled={!listing?.parent} onClick={() => listing?.parent && go(listing.parent)} className="flex items-center gap-1 rounded border border-slate-300 px-2 py-1 text-sm disabled:opacity-50">
          <ArrowUp aria-hidden className="size-4" />Up
        </button>
        <code className="min-w-0 flex-1 truncate text-sm" data-testid="browse-dir" title={listing?.dir}>{listing?.dir ?? '…'}</code>
        {listing && listing.roots.length > 1 && (
          <select className="rounded border border-slate-300 bg-white px-2 py-1 text-sm" aria-label="Folder roots" value="" onChange={(e) => go(e.target.value)}>
            <option value="">Go to…</option>
            {listing.roots.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        )}
      </div>
      {listing && (
        <p className="mb-2 text-xs text-slate-500" data-testid="allowed-roots">
          Folders this app may use: {listing.roots.map((r, i) => <span key={r}>{i > 0 && ', '}<code>{r}</code></span>)}
          {' '}(more with <code>merge-studio serve --allow FOLDER</code>)
        </p>
      )}
      {error && <p role="alert" className="text-sm text-red-700">{error}</p>}
      <ul className="max-h-72 overflow-auto rounded border border-slate-200 text-sm">
        {listing?.entries.map((e) => {
          const ok = e.kind === 'file' && (accept ? accept(e.name) : true);
          return (
            <li key={e.path}>
              {e.kind === 'dir' ? (
                <button type="button" className="flex w-full items-center gap-2 px-3 py-1 text-left hover:bg-slate-100" onClick={() => go(e.path)}>
                  <Folder aria-hidden className="size-4 shrink-0 text-indigo-700" /> {e.name}
                </button>
              ) : (
                <label className={`flex w-full items-center gap-2 px-3 py-1 ${ok ? 'cursor-pointer hover:bg-slate-100' : 'cursor-not-allowed'} ${ok && (e.modelLike || accept) ? '' : 'text-slate-600'}`}>
                  <input type={multiple ? 'checkbox' : 'radio'} name="file-browser-pick" disabled={!ok} checked={picked.includes(e.path)} onChange={() => toggle(e.path)} aria-label={e.name} />
                  <File aria-hidden className="size-4 shrink-0 text-slate-500" />
                  <span className="min-w-0 flex-1 truncate">{e.name}</span>
                  <span className="text-slate-600">{formatBytes(e.size)}</span>
                </label>
              )}
            </li>
          );
        })}
        {listing && listing.entries.length === 0 && <li className="px-3 py-2 text-slate-600">This folder is empty.</li>}
      </ul>
      <div className="mt-3 flex justify-end gap-2">
        <button type="button" className="rounded border border-slate-300 px-3 py-1" onClick={onClose}>Close</button>
        {onOpenFolder && (
          <button type="button" disabled={!listing} className="rounded border border-indigo-600 px-3 py-1 text-indigo-700 disabled:opacity-50" onClick={() => listing && onOpenFolder(listing.dir)}>
            Open this folder as a model
          </button>
        )}
        <button type="button" disabled={!picked.length} className="rounded bg-indigo-600 px-3 py-1 text-white disabled:opacity-50" onClick={() => { onOpen(picked); setPicked([]); }}>
          {multiple ? `Open ${picked.length || ''} selected` : 'Choose'}
        </button>
      </div>
    </div>
  );
}
