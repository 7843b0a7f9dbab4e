// "New merge": a clean start (every model closed, every form and result cleared), asked first because the
// wizard's state is otherwise kept across reloads and restarts. Files and runs on disk are never touched.
import { useState } from 'react';
import { FilePlus2 } from 'lucide-react';

export function NewMergeButton({ onConfirm }: { onConfirm: () => Promise<void> }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setAsking(false);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  if (!asking) {
    return (
      <button type="button" onClick={() => setAsking(true)} className="mb-4 flex w-full items-center gap-2 rounded border border-slate-300 px-3 py-1.5 text-left text-sm text-slate-800 hover:bg-slate-100">
        <FilePlus2 aria-hidden className="size-4" />New merge
      </button>
    );
  }
  return (
    <div role="alertdialog" aria-label="Start a new merge" className="mb-4 space-y-2 rounded border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900">
      <p>Start a new merge? The open models and settings are cleared; files and runs stay.</p>
      <div className="flex gap-2">
        <button type="button" disabled={busy} onClick={() => void confirm()} className="rounded bg-indigo-600 px-3 py-1 text-white disabled:opacity-50">Start new merge</button>
        <button type="button" disabled={busy} onClick={() => setAsking(false)} className="rounded border border-slate-300 bg-white px-3 py-1 text-slate-800">Keep working</button>
      </div>
      {error && <p role="alert" className="text-red-700">{error}</p>}
    </div>
  );
}
