// A run's label, the name the history shows, editable in place: Rename → a text field → the engine's
// renameRun. The run's id stays beside it (small), so two runs with one label still read apart.
import { useState } from 'react';
import { Pencil } from 'lucide-react';
import type { CallResult } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { forgetModelNames } from './modelNames';

type RunSummary = CallResult<'renameRun'>;

export function RunLabel({ run, onRenamed }: { run: Pick<RunSummary, 'dir' | 'id' | 'label' | 'status'>; onRenamed: (r: RunSummary) => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(run.label);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  async function save() {
    setSaving(true);
    try {
      const r = await studio.renameRun({ dir: run.dir, label: text });
      forgetModelNames(); // files are named by their run's label
      setEditing(false);
      setError(null);
      onRenamed(r);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSaving(false);
    }
  }

  // Clicks here must not open or close the row the label sits in.
  return (
    <div onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()} role="presentation" data-testid="run-label-cell">
      {!editing && (
        <span className="flex items-center gap-1">
          <span className="font-medium" data-testid="run-label">{run.label}</span>
          <button type="button" className="rounded p-0.5 text-slate-500 hover:bg-slate-100 hover:text-indigo-700" aria-label={`Rename ${run.label}`} title="Rename"
            onClick={() => { setText(run.label); setError(null); setEditing(true); }}>
            <Pencil aria-hidden className="size-3.5" />
          </button>
        </span>
      )}
      {editing && (
        <form className="flex flex-wrap items-center gap-1" onSubmit={(e) => { e.preventDefault(); void save(); }}>
          <input className="min-w-48 flex-1 rounded border border-slate-300 px-1 py-0.5 text-sm" aria-label="New name for the run" value={text} maxLength={200}
            autoFocus onChange={(e) => setText(e.target.value)} onKeyDown={(e) => { if (e.key === 'Escape') setEditing(false); }} />
          <button type="submit" className="rounded bg-indigo-600 px-2 py-0.5 text-xs text-white disabled:opacity-50" disabled={saving || !text.trim()}>Save</button>
          <button type="button" className="rounded border border-slate-300 px-2 py-0.5 text-xs" onClick={() => setEditing(false)}>Cancel</button>
        </form>
      )}
      <div className="font-mono text-[11px] text-slate-500" data-testid="run-id" title="The run's folder name">{run.id}</div>
      {error && <p role="alert" className="text-xs text-red-700">{error}</p>}
    </div>
  );
}
