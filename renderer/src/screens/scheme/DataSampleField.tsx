// The data sample of a data-aware method (Fisher merging, RegMean): each model is measured on it before the merge.
// One dataset for all, or each model's own (its task, e.g. digits 0–4 for one and 5–9 for the other).
import { DEFAULT_DATA, type DataSample } from './recipeForm';

const input = 'rounded border border-slate-300 px-2 py-1 text-sm';
const fileName = (p: string) => p.split(/[\\/]/).pop() ?? p;

export function DataSampleField({ value, models, onChange }: { value: DataSample | undefined; models: string[]; onChange: (d: DataSample) => void }) {
  const d = value ?? DEFAULT_DATA;
  return (
    <fieldset className="mt-4 rounded border border-slate-200 p-3 text-sm" aria-label="Data sample">
      <legend className="px-1 font-medium">Data sample <span className="font-normal text-slate-600">(required: each model is measured on it before merging)</span></legend>
      <label className="mr-4"><input type="radio" checked={!d.perModel} onChange={() => onChange({ ...d, perModel: false })} /> one dataset for all models</label>
      <label><input type="radio" checked={d.perModel} onChange={() => onChange({ ...d, perModel: true })} /> each model its own (its training data)</label>
      <div className="mt-2 flex flex-wrap items-end gap-3">
        {!d.perModel && <label className="flex flex-col gap-1">Dataset<input className={`${input} w-72`} aria-label="Data sample dataset" value={d.dataset} onChange={(e) => onChange({ ...d, dataset: e.target.value })} /></label>}
        <label className="flex flex-col gap-1">Examples per model<input className={`${input} w-24`} type="number" min={1} aria-label="Examples per model" value={d.samples} onChange={(e) => onChange({ ...d, samples: Math.max(1, Math.floor(Number(e.target.value) || 1)) })} /></label>
        <label className="flex flex-col gap-1">Architecture of bare weights<input className={`${input} w-32`} placeholder="(recorded)" aria-label="Data sample architecture" value={d.arch} onChange={(e) => onChange({ ...d, arch: e.target.value.trim() })} /></label>
      </div>
      {d.perModel && (
        <ul className="mt-2 space-y-1">
          {models.map((p) => (
            <li key={p} className="flex items-center gap-2"><span className="w-48 truncate font-mono text-xs" title={p}>{fileName(p)}</span>
              <input className={`${input} flex-1`} aria-label={`dataset of ${fileName(p)}`} placeholder={d.dataset} value={d.datasets[p] ?? ''} onChange={(e) => onChange({ ...d, datasets: { ...d.datasets, [p]: e.target.value } })} /></li>
          ))}
        </ul>
      )}
      <p className="mt-2 text-xs text-slate-500">A dataset spec such as mnist:train, or mnist:fit?task=subset:0-4 for the digits a model was fine-tuned on; the first N examples are used.</p>
    </fieldset>
  );
}
