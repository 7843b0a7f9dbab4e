// Soups over the models picked on the Compare tab, and the parameter search (SearchPanel). Both choose on the
// held-out split and only report the test split; the screen says which is which.
import { useState } from 'react';
import type { SoupResult } from '../../../../main/engine/compare/types';
import { studio } from '../../api/studio';
import { JobProgress } from '../../components/JobProgress';
import { useStudio } from '../../state/store';
import { SearchPanel } from './SearchPanel';
import { card, input, pct, primary, secondary } from './ui';

function Splits({ heldout, test, onChange }: { heldout: string; test: string; onChange: (h: string, t: string) => void }) {
  return (
    <div className="flex flex-wrap items-end gap-4 text-sm">
      <label className="flex flex-col gap-1"><span className="text-slate-600">Held-out split — chooses</span>
        <input className={`${input} w-56`} aria-label="Held-out split" value={heldout} onChange={(e) => onChange(e.target.value, test)} /></label>
      <label className="flex flex-col gap-1"><span className="text-slate-600">Test split — only reported</span>
        <input className={`${input} w-56`} aria-label="Test split" value={test} onChange={(e) => onChange(heldout, e.target.value)} /></label>
      <p className="max-w-md text-xs text-slate-500">mnist:val is 1,000 digits of mnist:train kept apart from mnist:test; train on mnist:fit (the other 7,000) so that neither is seen in training.</p>
      {heldout.trim() && heldout.trim() === test.trim() && <p role="alert" className="text-sm text-red-700">The held-out split must not be the test split.</p>}
    </div>
  );
}

export function SoupsPanel({ onCompare }: { onCompare: () => void }) {
  const models = useStudio((s) => s.compareModels);
  const setModels = useStudio((s) => s.setCompareModels);
  const jobs = useStudio((s) => s.jobs);
  const [splits, setSplits] = useState({ heldout: 'mnist:val', test: 'mnist:test' });
  const [soupJob, setSoupJob] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refs = models.map((m) => ({ path: m.path, ...(m.arch ? { arch: m.arch } : {}) }));
  const sameSplit = splits.heldout.trim() === splits.test.trim();

  async function soup(kind: 'uniform' | 'greedy') {
    setError(null);
    try { setSoupJob((await studio.startJob({ kind: 'soup', params: { models: refs, heldout: splits.heldout, test: splits.test || undefined, kind } })).jobId); } catch (e) { setError((e as Error).message); }
  }
  const compareToo = (p: string) => { if (!models.some((m) => m.path === p)) setModels([...models, { path: p }]); onCompare(); };

  const sj = soupJob ? jobs[soupJob] : undefined;
  const soupResult = sj?.status === 'succeeded' ? (sj.result as SoupResult) : undefined;

  return (
    <div className="space-y-4">
      <section className={card} aria-label="Which split chooses and which reports"><Splits heldout={splits.heldout} test={splits.test} onChange={(heldout, test) => setSplits({ heldout, test })} /></section>
      {models.length < 2 && <p className="text-slate-600">Pick two or more models on the Compare models tab first (checkpoints of one run, or fine-tunes of one model).</p>}
      <section className={card} aria-label="Soups">
        <h2 className="font-medium">Model soups</h2>
        <p className="mb-2 text-sm text-slate-600">Uniform: the mean of all {models.length} models' weights. Greedy: best on the held-out split first; each next model is kept only if the soup's held-out accuracy rises.</p>
        <div className="flex gap-2">
          <button type="button" className={primary} disabled={models.length < 2 || sameSplit} onClick={() => void soup('uniform')}>Uniform soup</button>
          <button type="button" className={primary} disabled={models.length < 2 || sameSplit} onClick={() => void soup('greedy')}>Greedy soup</button>
        </div>
        {sj && sj.status !== 'succeeded' && <div className="mt-3"><JobProgress job={sj} /></div>}
        {soupResult && (
          <div className="mt-3 space-y-2 text-sm" data-testid="soup-result">
            <table className="w-full"><thead><tr className="text-left text-slate-600"><th>Model (tried in this order)</th><th>held-out</th><th>test</th><th>soup held-out</th><th /></tr></thead>
              <tbody>{soupResult.order.map((i) => {
                const step = soupResult.steps.find((s) => s.model === i);
                const m = soupResult.models[i];
                return <tr key={i} className="border-t border-slate-100"><td>{m.label}</td><td>{pct(m.heldout)}</td><td>{pct(m.test)}</td><td>{step ? pct(step.soupHeldout) : '—'}</td>
                  <td>{soupResult.kind === 'greedy' ? (step?.added ? 'added' : 'skipped') : 'in'}</td></tr>;
              })}</tbody></table>
            <p><b>{soupResult.kind === 'greedy' ? 'Greedy' : 'Uniform'} soup of {soupResult.ingredients.length}</b>: held-out {pct(soupResult.soup.heldout)}{soupResult.soup.test !== undefined && <>, test {pct(soupResult.soup.test)}</>} — <code className="text-xs">{soupResult.soup.path}</code></p>
            <button type="button" className={secondary} onClick={() => compareToo(soupResult.soup.path)}>Compare the soup with the models</button>
          </div>
        )}
      </section>
      <SearchPanel heldout={splits.heldout} test={splits.test} onCompareBest={compareToo} />
      {error && <p role="alert" className="text-red-700">{error}</p>}
    </div>
  );
}
