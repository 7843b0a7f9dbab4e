// One way in for a mergekit config on the Scheme screen: an "Import mergekit config…" button that opens two
// choices, its file or its text pasted. Rendered in a wrapping row of buttons: the panel takes a line of its own.
import { useState } from 'react';
import { studio } from '../../api/studio';
import { useFilePicker } from '../../components/useFilePicker';

export interface MergekitImported {
  recipe: Record<string, unknown>;
  /** What the config holds that the recipe cannot carry. */
  dropped: string[];
  /** Said to the user: where the config came from. */
  message: string;
}

const input = 'rounded border border-slate-300 px-2 py-1 text-sm';

export function MergekitImport({ initialPath, onImported }: { initialPath: string; onImported(r: MergekitImported): void }) {
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState<'file' | 'text'>('file');
  const [path, setPath] = useState('');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const picker = useFilePicker({ title: 'Choose a mergekit config', accept: (n) => /\.ya?ml$/i.test(n), onPick: setPath });
  const ready = from === 'file' ? path.trim() !== '' : text.trim() !== '';

  async function importIt() {
    setError(null);
    try {
      const r = await studio.importMergekit(from === 'file' ? { path: path.trim() } : { yaml: text });
      onImported({ ...r, message: from === 'file' ? `Imported the mergekit config ${path.trim()}` : 'Imported the pasted mergekit config' });
      setOpen(false);
    } catch (e) { setError(e instanceof Error ? e.message : String(e)); }
  }

  const start = () => {
    // a .yml in the recipe field is most likely the config meant
    if (!path.trim() && /\.ya?ml$/i.test(initialPath.trim())) setPath(initialPath.trim());
    setError(null);
    setOpen(true);
  };
  if (!open) return <button type="button" className="rounded border px-3" aria-expanded={false} onClick={start}>Import mergekit config…</button>;
  return (
    <div role="group" aria-label="Import a mergekit config" className="basis-full space-y-2 rounded border border-slate-200 p-3 text-sm">
      <div role="radiogroup" aria-label="Where the config is" className="flex flex-wrap gap-4">
        <label><input type="radio" name="mergekit-from" checked={from === 'file'} onChange={() => setFrom('file')} /> From a file</label>
        <label><input type="radio" name="mergekit-from" checked={from === 'text'} onChange={() => setFrom('text')} /> Paste its text</label>
      </div>
      {from === 'file' ? (
        <div className="flex gap-2">
          <input className={`${input} flex-1`} aria-label="mergekit config file" placeholder="path of a mergekit config (.yml)" value={path} onChange={(e) => setPath(e.target.value)} />
          <button type="button" className="rounded border px-3" onClick={picker.start}>Browse…</button>
        </div>
      ) : (
        <textarea className="h-40 w-full rounded border font-mono text-xs" aria-label="mergekit config text" placeholder="merge_method: …" value={text} onChange={(e) => setText(e.target.value)} />
      )}
      {picker.browser}
      {error && <p role="alert" className="text-red-700">{error}</p>}
      <div className="flex gap-2">
        <button type="button" className="rounded-md bg-indigo-600 px-3 py-1 font-medium text-white hover:bg-indigo-700 disabled:opacity-40" disabled={!ready} onClick={() => void importIt()}>Import</button>
        <button type="button" className="rounded border px-3" onClick={() => setOpen(false)}>Cancel</button>
      </div>
    </div>
  );
}
