// Soups and parameter search over the models picked on the Compare tab. Both choose on the held-out split and
// only report the test split; the screen says which is which.
import { useMemo, useState } from 'react';
import { mergeGridSpec, searchSpec } from '../../../../main/engine/charts/compare';
import type { SearchResult, SoupResult } from '../../../../main/engine/compare/types';
import { studio } from '../../api/studio';
import { ChartCard } from '../../components/ChartCard';
import { JobProgress } from '../../components/JobProgress';
import { useStudio } from '../../state/store';
import { baseName, card, input, pct, primary, secondary } from './ui';

const SEARCH_SPEC = searchSpec();
const SEARCH_METHODS = ['weighted', 'slerp', 'task_arithmetic', 'ties', 'dare_linear'];

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
  const env = useStudio((s) => s.environment);
  const jobs = useStudio((s) => s.jobs);
  const searchPoints = useStudio((s) => s.searchPoints);
  const [splits, setSplits] = useState({ heldout: 'mnist:val', test: 'mnist:test' });
  const [soupJob, setSoupJob] = useState<string | null>(null);
  const [searchJob, setSearchJob] = useState<string | null>(null);
  const [methods, setMethods] = useState<string[]>(['weighted']);
  const [alpha, setAlpha] = useState({ min: 0, max: 1 });
  const [budget, setBudget] = useState(11);
  const [strategy, setStrategy] = useState<'grid' | 'random'>('grid');
  const [error, setError] = useState<string | null>(null);
  const refs = models.map((m) => ({ path: m.path, ...(m.arch ? { arch: m.arch } : {}) }));
  const sameSplit = splits.heldout.trim() === splits.test.trim();

  async function soup(kind: 'uniform' | 'greedy') {
    setError(null);
    try { setSoupJob((await studio.startJob({ kind: 'soup', params: { models: refs, heldout: splits.heldout, test: splits.test || undefined, kind } })).jobId); } catch (e) { setError((e as Error).message); }
  }
  async function search() {
    setError(null);
    const out = `${env?.workspace ?? '.'}/search-best-${Date.now()}.safetensors`;
    const dims = [...(methods.length > 1 ? [{ name: 'method', values: methods }] : []), { name: 'alpha', min: alpha.min, max: alpha.max }];
    try {
      setSearchJob((await studio.startJob({ kind: 'search', params: {
        recipe: { method: methods[0] ?? 'weighted', models: refs.slice(0, 2).map((m) => ({ path: m.path })), output: { path: out } },
        dimensions: dims, budget, strategy, heldout: splits.heldout, ...(splits.test ? { test: splits.test } : {}),
      } })).jobId);
    } catch (e) { setError((e as Error).message); }
  }
  const compareToo = (p: string) => { if (!models.some((m) => m.path === p)) setModels([...models, { path: p }]); onCompare(); };

  const sj = soupJob ? jobs[soupJob] : undefined;
  const soupResult = sj?.status === 'succeeded' ? (sj.result as SoupResult) : undefined;
  const qj = searchJob ? jobs[searchJob] : undefined;
  const searchResult = qj?.status === 'succeeded' ? (qj.result as SearchResult) : undefined;
  const live = useMemo(() => (searchJob ? (searchPoints[searchJob] ?? []).filter((p) => typeof p.accuracy === 'number' && !Number.isNaN(p.accuracy as number)) : []), [searchJob, searchPoints]);
  const gridSpec = useMemo(() => searchResult && mergeGridSpec(
    searchResult.trials.filter((t) => !t.error).map((t) => ({ x: String(t.values.alpha ?? '—'), y: String(t.values.method ?? searchResult.output.recipe.method ?? ''), accuracy: t.accuracy, label: t.label, id: String(t.trial) })),
    'α', 'method'), [searchResult]);

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
      <section className={card} aria-label="Parameter search">
        <h2 className="font-medium">Parameter search</h2>
        <p className="mb-2 text-sm text-slate-600">Merges of {models[0] ? baseName(models[0].path) : 'model 1'} and {models[1] ? baseName(models[1].path) : 'model 2'} at α from {alpha.min} to {alpha.max} (weights 1 − α and α; SLERP's t), each scored on the held-out split; the best is written and scored on the test split.</p>
        <div className="flex flex-wrap items-end gap-3 text-sm">
          <fieldset className="flex flex-wrap gap-2"><legend className="text-slate-600">Methods</legend>
            {SEARCH_METHODS.map((m) => <label key={m} className="flex items-center gap-1"><input type="checkbox" checked={methods.includes(m)} onChange={(e) => setMethods(e.target.checked ? [...methods, m] : methods.filter((x) => x !== m))} />{m}</label>)}
          </fieldset>
          <label className="flex flex-col gap-1"><span className="text-slate-600">α from</span><input className={`${input} w-20`} type="number" step="0.05" aria-label="alpha from" value={alpha.min} onChange={(e) => setAlpha({ ...alpha, min: Number(e.target.value) })} /></label>
          <label className="flex flex-col gap-1"><span className="text-slate-600">to</span><input className={`${input} w-20`} type="number" step="0.05" aria-label="alpha to" value={alpha.max} onChange={(e) => setAlpha({ ...alpha, max: Number(e.target.value) })} /></label>
          <label className="flex flex-col gap-1"><span className="text-slate-600">Budget (evaluations)</span><input className={`${input} w-24`} type="number" min={1} max={500} aria-label="Budget" value={budget} onChange={(e) => setBudget(Math.max(1, Number(e.target.value) || 1))} /></label>
          <label className="flex flex-col gap-1"><span className="text-slate-600">Strategy</span>
            <select className={input} value={strategy} onChange={(e) => setStrategy(e.target.value as 'grid' | 'random')}><option value="grid">grid</option><option value="random">random</option></select></label>
          <button type="button" className={primary} disabled={models.length < 2 || !methods.length || sameSplit || alpha.min > alpha.max} onClick={() => void search()}>Search</button>
        </div>
        {qj && qj.status !== 'succeeded' && <div className="mt-3"><JobProgress job={qj} /></div>}
        {searchJob && <div className="mt-3"><ChartCard id="search" title="Search: held-out accuracy of each try" spec={SEARCH_SPEC} points={live} /></div>}
        {searchResult && (
          <div className="mt-3 space-y-2 text-sm" data-testid="search-result">
            <p><b>Best: {searchResult.best.label}</b> — held-out {pct(searchResult.output.heldout)}{searchResult.output.test !== undefined && <>, test {pct(searchResult.output.test)}</>} — <code className="text-xs">{searchResult.output.path}</code></p>
            {gridSpec && <ChartCard id="search-grid" title="Tried merges by α and method" spec={gridSpec} />}
            <button type="button" className={secondary} onClick={() => compareToo(searchResult.output.path)}>Compare the best with the models</button>
          </div>
        )}
      </section>
      {error && <p role="alert" className="text-red-700">{error}</p>}
    </div>
  );
}
