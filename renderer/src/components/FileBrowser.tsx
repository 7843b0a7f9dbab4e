// The browser mode's file browser (a native dialog where there is one): folders inside the allowed roots.
import { useEffect, useState } from 'react';
import type { BrowseResult } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { formatBytes } from './format';

export function FileBrowser({ onOpen, onClose }: { onOpen: (paths: string[]) => void; onClose: () => void }) {
  const [listing, setListing] = useState<BrowseResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<string[]>([]);

  const go = (dir?: string) => {
    setError(null);
    studio.browse(dir ? { dir } : {}).then(setListing, (e: Error) => setError(e.message));
  };
  useEffect(() => go(), []);

  const toggle = (p: string) => setPicked((s) => (s.includes(p) ? s.filter((x) => x !== p) : [...s, p]));

  return (
    <div className="rounded-lg border border-slate-300 bg-white p-4 shadow" role="dialog" aria-label="Choose model files">
      <div className="mb-2 flex items-center gap-2">
        <button type="button" disabled={!listing?.parent} onClick={() => listing?.parent && go(listing.parent)} className="rounded border px-2 py-1 text-sm disabled:opacity-40">↑ Up</button>
        <code className="flex-1 truncate text-sm" data-testid="browse-dir">{listing?.dir ?? '…'}</code>
        {listing && listing.roots.length > 1 && (
          <select className="rounded border px-2 py-1 text-sm" aria-label="Folder roots" value="" onChange={(e) => go(e.target.value)}>
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
        {listing?.entries.map((e) => (
          <li key={e.path}>
            {e.kind === 'dir' ? (
              <button type="button" className="flex w-full gap-2 px-3 py-1 text-left hover:bg-slate-100" onClick={() => go(e.path)}>
                <span aria-hidden>📁</span> {e.name}
              </button>
            ) : (
              <label className={`flex w-full cursor-pointer items-center gap-2 px-3 py-1 hover:bg-slate-100 ${e.modelLike ? '' : 'text-slate-400'}`}>
                <input type="checkbox" checked={picked.includes(e.path)} onChange={() => toggle(e.path)} aria-label={e.name} />
                <span className="flex-1">{e.name}</span>
                <span className="text-slate-500">{formatBytes(e.size)}</span>
              </label>
            )}
          </li>
        ))}
        {listing && listing.entries.length === 0 && <li className="px-3 py-2 text-slate-500">This folder is empty.</li>}
      </ul>
      <div className="mt-3 flex justify-end gap-2">
        <button type="button" className="rounded border px-3 py-1" onClick={onClose}>Close</button>
        <button type="button" disabled={!picked.length} className="rounded bg-indigo-600 px-3 py-1 text-white disabled:opacity-40" onClick={() => { onOpen(picked); setPicked([]); }}>
          Open {picked.length || ''} selected
        </button>
      </div>
    </div>
  );
}
