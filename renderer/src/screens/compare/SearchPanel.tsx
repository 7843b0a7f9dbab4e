// Parameter search over the Scheme screen's recipe (all its models, its base, its alignment): which methods to
// try, what to vary over which range, the budget; then every try as it comes in (scored, or why it could not
// merge), the chart of this search only, and the best, written and scored on the test split.
import { useEffect, useMemo, useState } from 'react';
import type { MethodInfo } from '../../../../main/engine/api';
import { mergeGridSpec, searchSpec } from '../../../../main/engine/charts/compare';
import type { SearchResult } from '../../../../main/engine/compare/types';
import { studio } from '../../api/studio';
import { ChartCard } from '../../components/ChartCard';
import { formatValue } from '../../components/format';
import { JobProgress } from '../../components/JobProgress';
import { useModelNames } from '../../components/modelNames';
import { useStudio } from '../../state/store';
import { defaultVary, searchDimensions, varyOptions, type VaryChoice } from './searchDimensions';
import { searchRecipe } from './searchRecipe';
import { card, input, pct, primary, secondary } from './ui';

const SEARCH_SPEC = searchSpec();
const SEARCH_METHODS = ['weighted', 'slerp', 'task_arithmetic', 'ties', 'dare_linear'];

interface TryPoint { trial: number; label: string; accuracy?: number | null; error?: string }

function TriesTable({ tries }: { tries: TryPoint[] }) {
  return (
    <table className="w-full text-sm" data-testid="search-tries">
      <thead><tr className="text-left text-slate-600"><th>try</th><th>parameters</th><th>held-out accuracy</th></tr></thead>
      <tbody>{tries.map((t) => (
        <tr key={t.trial} className="border-t border-slate-100" data-testid="search-try" data-scored={t.error ? 'no' : 'yes'}>
          <td>{t.trial}</td><td className="font-mono text-xs">{t.label}</td>
          <td>{t.error ? <span className="text-red-700">could not merge: {t.error}</span> : pct(t.accuracy ?? undefined)}</td>
        </tr>
      ))}</tbody>
    </table>
  );
}

export function SearchPanel({ heldout, test, onCompareBest }: { heldout: string; test: string; onCompareBest: (path: string) => void }) {
  const scheme = useStudio((s) => s.schemeForm);
  const compareModels = useStudio((s) => s.compareModels);
  const alignment = useStudio((s) => s.alignment);
  const env = useStudio((s) => s.environment);
  const jobs = useStudio((s) => s.jobs);
  const searchPoints = useStudio((s) => s.searchPoints);
  const setStep = useStudio((s) => s.setStep);
  const [infos, setInfos] = useState<MethodInfo[]>([]);
  const [methods, setMethods] = useState<string[] | null>(null);
  const [chosen, setChosen] = useState<Record<string, VaryChoice>>({});
  const [budget, setBudget] = useState(11);
  const [strategy, setStrategy] = useState<'grid' | 'random'>('grid');
  // The last search: its job while the engine has it, then its one-line summary (kept across restarts, persist.ts).
  const jobId = useStudio((s) => s.searchJobId);
  const summary = useStudio((s) => s.searchSummary);
  const setSearchJob = useStudio((s) => s.setSearchJob);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => { studio.mergeMethods({}).then(setInfos, (e: Error) => setError(e.message)); }, []);

  const start = searchRecipe(scheme, compareModels, alignment, [], '');
  // The Scheme's method unless the Scheme has no models yet (its default, the mean, has nothing to vary).
  const tried = methods ?? [start.from === 'scheme' ? start.method : 'weighted'];
  const plan = searchRecipe(scheme, compareModels, alignment, tried, '');
  const nameOf = useModelNames([...plan.models, ...(plan.base ? [plan.base] : [])]);
  const choices = [...new Set([...SEARCH_METHODS, start.method])];
  const options = varyOptions(infos.filter((m) => tried.includes(m.id)), plan.models);
  const first = defaultVary(options);
  const choice = (name: string): VaryChoice => {
    const o = options.find((x) => x.name === name)!;
    return chosen[name] ?? { on: name === first, min: o.min, max: o.max };
  };
  const effective = Object.fromEntries(options.map((o) => [o.name, choice(o.name)]));
  const dimensions = searchDimensions(tried, options, effective);
  const badRange = options.some((o) => effective[o.name].on && !(effective[o.name].min <= effective[o.name].max));
  const hasModels = plan.models.length > 0 || plan.checkpoints !== undefined;
  const sameSplit = heldout.trim() === test.trim();

  async function search() {
    setError(null);
    const out = `${env?.workspace ?? '.'}/search-best-${Date.now()}.safetensors`;
    const { recipe } = searchRecipe(scheme, compareModels, alignment, tried, out);
    try {
      setSearchJob((await studio.startJob({ kind: 'search', params: { recipe, dimensions, budget, strategy, heldout, ...(test ? { test } : {}) } })).jobId, null);
    } catch (e) { setError((e as Error).message); }
  }

  const job = jobId ? jobs[jobId] : undefined;
  const result = job?.status === 'succeeded' ? (job.result as SearchResult) : undefined;
  useEffect(() => {
    if (!jobId || !result || summary?.output === result.output.path) return;
    setSearchJob(jobId, {
      best: result.best.label.slice(0, 500), heldout: result.output.heldout, ...(result.output.test !== undefined ? { test: result.output.test } : {}),
      output: result.output.path, ...(result.runDir ? { runDir: result.runDir } : {}), tries: result.trials.length,
    });
  }, [jobId, result, summary, setSearchJob]);
  const tries = useMemo(() => (jobId ? (searchPoints[jobId] ?? []) as unknown as TryPoint[] : []), [jobId, searchPoints]);
  const scored = useMemo(() => tries.filter((p) => typeof p.accuracy === 'number' && !Number.isNaN(p.accuracy) && !p.error), [tries]);
  const gridSpec = useMemo(() => {
    if (!result) return undefined;
    const x = result.dimensions.find((d) => d.name !== 'method')?.name;
    return mergeGridSpec(result.trials.filter((t) => !t.error).map((t) => ({ x: x ? formatValue(t.values[x] ?? '—') : '—', y: String(t.values.method ?? result.output.recipe.method ?? ''), accuracy: t.accuracy, label: t.label, id: String(t.trial) })),
      x ? x.replace(/^parameters\./, '') : '', 'method');
  }, [result]);
  const running = job?.status === 'running' || job?.status === 'queued';

  return (
    <section className={card} aria-label="Parameter search">
      <h2 className="font-medium">Parameter search</h2>
      <p className="mb-2 text-sm text-slate-600" data-testid="search-source">
        {plan.from === 'scheme' ? 'Varies the Scheme screen\'s recipe: ' : 'The Scheme screen has no models yet, so the models picked on the Compare tab are merged: '}
        {plan.checkpoints !== undefined ? <>the checkpoints of <code className="text-xs">{plan.checkpoints}</code></> : <>{plan.models.length} model{plan.models.length === 1 ? '' : 's'} ({plan.models.map(nameOf).join(', ') || 'none'})</>}
        {plan.base ? <>, base <span title={plan.base}>{nameOf(plan.base)}</span></> : ', no base model'}
        {plan.recipe.align ? ', aligned as the Align screen says' : ''}.
        {' '}Each try is scored on the held-out split; the best is written and scored on the test split.
        <button type="button" className={`${secondary} ml-2`} onClick={() => setStep('scheme')}>Edit on the Scheme screen</button>
      </p>
      <div className="flex flex-wrap items-end gap-3 text-sm">
        <fieldset className="flex flex-wrap gap-2"><legend className="text-slate-600">Methods</legend>
          {choices.map((m) => <label key={m} className="flex items-center gap-1"><input type="checkbox" checked={tried.includes(m)} onChange={(e) => setMethods(e.target.checked ? [...tried, m] : tried.filter((x) => x !== m))} />{m}</label>)}
        </fieldset>
      </div>
      <fieldset className="mt-3 space-y-1 text-sm" aria-label="What to vary"><legend className="text-slate-600">Vary</legend>
        {options.length === 0 && <p className="text-slate-600">{tried.join(', ') || 'No method'} has nothing numeric to vary here; tick more methods (each gets its share of the budget).</p>}
        {options.map((o) => {
          const c = effective[o.name];
          const set = (patch: Partial<VaryChoice>) => setChosen({ ...chosen, [o.name]: { ...c, ...patch } });
          return (
            <div key={o.name} className="flex items-center gap-2">
              <label className="flex w-64 items-center gap-1"><input type="checkbox" checked={c.on} aria-label={`vary ${o.name}`} onChange={(e) => set({ on: e.target.checked })} />{o.label}</label>
              <span className="text-slate-600">from</span><input className={`${input} w-20`} type="number" step={o.step} aria-label={`${o.name} from`} value={c.min} onChange={(e) => set({ min: Number(e.target.value) })} />
              <span className="text-slate-600">to</span><input className={`${input} w-20`} type="number" step={o.step} aria-label={`${o.name} to`} value={c.max} onChange={(e) => set({ max: Number(e.target.value) })} />
            </div>
          );
        })}
      </fieldset>
      <div className="mt-3 flex flex-wrap items-end gap-3 text-sm">
        <label className="flex flex-col gap-1"><span className="text-slate-600">Budget (evaluations)</span><input className={`${input} w-24`} type="number" min={1} max={500} aria-label="Budget" value={budget} onChange={(e) => setBudget(Math.max(1, Math.min(500, Number(e.target.value) || 1)))} /></label>
        <label className="flex flex-col gap-1"><span className="text-slate-600">Strategy</span>
          <select className={input} value={strategy} aria-label="Strategy" onChange={(e) => setStrategy(e.target.value as 'grid' | 'random')}><option value="grid">grid</option><option value="random">random</option></select></label>
        <button type="button" className={primary} disabled={!hasModels || !tried.length || !dimensions.length || badRange || sameSplit || running} onClick={() => void search()}>Search</button>
        <p className="max-w-md text-xs text-slate-500">The grid splits the budget evenly over the methods; each range takes as many distinct values as its share of tries.</p>
      </div>
      {job && job.status !== 'succeeded' && <div className="mt-3"><JobProgress job={job} /></div>}
      {/* Keyed by the job: a new search starts an empty chart, never one holding the last search's points. */}
      {jobId && scored.length > 0 && <div className="mt-3"><ChartCard key={jobId} id="search" title="Search: held-out accuracy of each try" spec={SEARCH_SPEC} points={scored} /></div>}
      {tries.length > 0 && <div className="mt-3"><TriesTable tries={tries} /></div>}
      {result && (
        <div className="mt-3 space-y-2 text-sm" data-testid="search-result">
          <p><b>Best: {result.best.label}</b> — held-out {pct(result.output.heldout)}{result.output.test !== undefined && <>, test {pct(result.output.test)}</>} — <code className="text-xs">{result.output.path}</code></p>
          {gridSpec && <ChartCard key={`grid-${jobId}`} id="search-grid" title="Tried merges by parameter and method" spec={gridSpec} />}
          <button type="button" className={secondary} onClick={() => onCompareBest(result.output.path)}>Compare the best with the models</button>
        </div>
      )}
      {!job && summary && (
        <div className="mt-3 space-y-2 text-sm" data-testid="search-summary">
          <p>Last search ({summary.tries} tries): <b>best {summary.best}</b> — held-out {pct(summary.heldout)}{summary.test !== undefined && <>, test {pct(summary.test)}</>} — <code className="text-xs">{summary.output}</code></p>
          <button type="button" className={secondary} onClick={() => onCompareBest(summary.output)}>Compare the best with the models</button>
        </div>
      )}
      {error && <p role="alert" className="mt-2 text-red-700">{error}</p>}
    </section>
  );
}
