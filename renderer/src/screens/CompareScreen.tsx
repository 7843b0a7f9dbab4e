// Compare: the last step. Pick models and merges (from files or the run history) and a labelled dataset, and
// see which is best and why — the table, the charts, the ensemble beside the merge. Soups and parameter
// search choose on a held-out split; the run history holds every run of the workspace.
import { useEffect, useMemo, useState } from 'react';
import type { CallResult } from '../../../main/engine/api';
import type { CompareRequest, CompareResult } from '../../../main/engine/compare/types';
import { studio } from '../api/studio';
import { JobProgress } from '../components/JobProgress';
import { useModelNames } from '../components/modelNames';
import { Screen } from '../components/Screen';
import { useStudio } from '../state/store';
import { CompareResults } from './compare/CompareResults';
import { HistoryPanel } from './compare/HistoryPanel';
import { ModelPicker } from './compare/ModelPicker';
import { PlanePanel } from './compare/PlanePanel';
import { SoupsPanel } from './compare/SoupsPanel';
import { card, input, primary } from './compare/ui';

type Tab = 'compare' | 'soups' | 'plane' | 'history';
const TABS: { id: Tab; label: string }[] = [
  { id: 'compare', label: 'Compare models' },
  { id: 'soups', label: 'Soups & search' },
  { id: 'plane', label: 'Loss plane' },
  { id: 'history', label: 'Run history' },
];

function ComparePanel() {
  const models = useStudio((s) => s.compareModels);
  const setModels = useStudio((s) => s.setCompareModels);
  const nameOf = useModelNames(models.map((m) => m.path));
  const jobs = useStudio((s) => s.jobs);
  const [datasets, setDatasets] = useState<CallResult<'trainingChoices'>['datasets']>([]);
  const [dataset, setDataset] = useState('mnist:test');
  const [curve, setCurve] = useState({ on: true, a: 0, b: 1, steps: 11 });
  const [diff, setDiff] = useState({ on: true, a: 0, b: 1 });
  // The last comparison: its job while the engine runs it, then its run folder (kept across restarts, persist.ts).
  const jobId = useStudio((s) => s.compareJobId);
  const runDir = useStudio((s) => s.compareRunDir);
  const setCompareJob = useStudio((s) => s.setCompareJob);
  const [saved, setSaved] = useState<CompareResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => { studio.trainingChoices({}).then((c) => setDatasets(c.datasets), () => {}); }, []);
  // A merge and its parents arrive with the merge last: curves and diffs default to its first two parents.
  useEffect(() => {
    const n = models.length;
    setCurve((c) => ({ ...c, a: 0, b: Math.min(1, Math.max(0, n - 1)) }));
    setDiff((d) => ({ ...d, a: 0, b: Math.max(0, n - 1) }));
  }, [models.length]);

  const job = jobId ? jobs[jobId] : undefined;
  const result = job?.status === 'succeeded' ? (job.result as CompareResult) : undefined;
  useEffect(() => { if (jobId && result?.runDir && result.runDir !== runDir) setCompareJob(jobId, result.runDir); }, [jobId, result, runDir, setCompareJob]);
  // After a restart the job is gone: the table comes back from the run's eval.json (unless the run was deleted).
  const jobKnown = job !== undefined;
  useEffect(() => {
    if (jobKnown || !runDir) { setSaved(null); return; }
    let live = true;
    studio.readRun({ dir: runDir }).then(
      (r) => { const e = r.evaluation as CompareResult | undefined; if (live) setSaved(e && Array.isArray(e.rows) ? e : null); },
      () => { if (live) setSaved(null); },
    );
    return () => { live = false; };
  }, [jobKnown, runDir]);
  const running = job?.status === 'running' || job?.status === 'queued';
  const pair = models.length >= 2;

  async function run() {
    setError(null);
    const request: CompareRequest = {
      models: models.map((m) => ({ path: m.path, ...(m.arch ? { arch: m.arch } : {}), ...(m.label ? { label: m.label } : {}) })),
      dataset,
      ...(pair && curve.on && curve.a !== curve.b ? { curve: { a: curve.a, b: curve.b, steps: curve.steps } } : {}),
      ...(pair && diff.on && diff.a !== diff.b ? { diff: { a: diff.a, b: diff.b } } : {}),
    };
    try { setCompareJob((await studio.startJob({ kind: 'compare', params: request })).jobId, null); } catch (e) { setError((e as Error).message); }
  }
  const choose = (value: number, on: (v: number) => void, label: string) => (
    <select className={input} aria-label={label} value={value} onChange={(e) => on(Number(e.target.value))}>
      {models.map((m, i) => <option key={m.path} value={i} title={m.path}>{m.label ?? nameOf(m.path)}</option>)}
    </select>
  );
  const specs = useMemo(() => datasets.flatMap((d) => d.builtins), [datasets]);

  return (
    <div className="space-y-4">
      <section className={card} aria-label="Models and data">
        <h2 className="mb-2 font-medium">Models and merges</h2>
        <ModelPicker models={models} onChange={setModels} />
        <div className="mt-4 flex flex-wrap items-end gap-4 text-sm">
          <label className="flex flex-col gap-1"><span className="text-slate-600">Labelled dataset (the test split)</span>
            <input className={`${input} w-72`} list="compare-datasets" aria-label="Dataset" value={dataset} onChange={(e) => setDataset(e.target.value)} />
            <datalist id="compare-datasets">{specs.map((b) => <option key={b.spec} value={b.spec}>{b.description}</option>)}</datalist>
          </label>
          {pair && (
            <>
              <label className="flex items-center gap-2"><input type="checkbox" checked={curve.on} onChange={(e) => setCurve({ ...curve, on: e.target.checked })} /> Interpolation curve from</label>
              {choose(curve.a, (a) => setCurve({ ...curve, a }), 'curve from')}<span>to</span>{choose(curve.b, (b) => setCurve({ ...curve, b }), 'curve to')}
              <label className="flex items-center gap-2"><input type="checkbox" checked={diff.on} onChange={(e) => setDiff({ ...diff, on: e.target.checked })} /> Weight differences between</label>
              {choose(diff.a, (a) => setDiff({ ...diff, a }), 'diff from')}<span>and</span>{choose(diff.b, (b) => setDiff({ ...diff, b }), 'diff to')}
            </>
          )}
          <button type="button" className={`${primary} ml-auto`} disabled={!models.length || !dataset.trim() || running} onClick={() => void run()}>Compare</button>
        </div>
      </section>
      {error && <p role="alert" className="text-red-700">{error}</p>}
      {job && job.status !== 'succeeded' && <JobProgress job={job} />}
      {result && <CompareResults r={result} />}
      {!result && saved && (
        <>
          <p className="text-sm text-slate-600" data-testid="compare-saved">The last comparison, read back from its run folder <code className="text-xs">{runDir}</code>.</p>
          <CompareResults r={saved} />
        </>
      )}
    </div>
  );
}

export function CompareScreen() {
  const [tab, setTab] = useState<Tab>('compare');
  return (
    <Screen title="Compare" lead="Which of your merges is best, and why: accuracy, loss and agreement side by side, the ensemble beside the merge, curves, soups and every past run.">
      <div role="tablist" aria-label="Compare views" className="flex gap-1 border-b border-slate-200">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} onClick={() => setTab(t.id)}
            className={`-mb-px rounded-t border px-4 py-2 text-sm ${tab === t.id ? 'border-slate-200 border-b-white bg-white font-medium text-indigo-700' : 'border-transparent text-slate-600 hover:text-slate-900'}`}>
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'compare' && <ComparePanel />}
        {tab === 'soups' && <SoupsPanel onCompare={() => setTab('compare')} />}
        {tab === 'plane' && <PlanePanel />}
        {tab === 'history' && <HistoryPanel onCompare={() => setTab('compare')} />}
      </div>
    </Screen>
  );
}
