// Run history: every train, merge, align, comparison, soup and search run of the workspace, newest first and
// searchable; a run opened shows its recipe, numbers, curve and log; its settings go back to the Scheme
// screen, its models to the Compare tab; a run is deleted only after the user says so.
import { Fragment, useEffect, useMemo, useState } from 'react';
import type { CallResult, JobSummary } from '../../../../main/engine/api';
import type { VerifyResult } from '../../../../main/engine/merge/verify';
import { trainingCurveSpec } from '../../../../main/engine/charts/training';
import { studio } from '../../api/studio';
import { ChartCard } from '../../components/ChartCard';
import { downloadText } from '../../components/download';
import { forgetModelNames, useModelNames } from '../../components/modelNames';
import { RunLabel } from '../../components/RunLabel';
import { useStudio } from '../../state/store';
import { card, input, pct, primary, secondary } from './ui';

type Runs = CallResult<'listRuns'>;
type Detail = CallResult<'readRun'>;
const LOSS_SPEC = trainingCurveSpec('Training loss', 'cross-entropy');

/** run.json's kinds as a person reads them. */
const KIND_LABEL: Record<string, string> = { eval: 'comparison' };

/** The model files among a run's outputs (not reports or alignment files). */
const modelFiles = (outputs: string[]) => outputs.filter((o) => /\.(onnx|safetensors|pt|pth|bin|ckpt)$/i.test(o));

const STATUS_STYLE: Record<string, string> = {
  succeeded: 'bg-emerald-100 text-emerald-800', completed: 'bg-emerald-100 text-emerald-800', running: 'bg-indigo-100 text-indigo-800',
  failed: 'bg-red-100 text-red-800', cancelled: 'bg-slate-200 text-slate-700', interrupted: 'bg-amber-100 text-amber-900', unreadable: 'bg-red-100 text-red-800',
};

/** The record's process facts, in words; shown only inside the "Process" disclosure. */
const PROCESS_FACTS: Record<string, string> = { pid: 'process number', pidStart: 'process started', host: 'computer' };
/** Shown at the top already (label, id, kind, status, time). */
const HEADER_FACTS = new Set(['id', 'label', 'kind', 'status', 'startedAt']);

function RunDetail({ d, onClose, onDeleted, onCompare, onRenamed }: { d: Detail; onClose: () => void; onDeleted: () => void; onCompare: () => void; onRenamed: (r: Runs[number]) => void }) {
  const setRecipeToLoad = useStudio((s) => s.setRecipeToLoad);
  const setStep = useStudio((s) => s.setStep);
  const setCompareModels = useStudio((s) => s.setCompareModels);
  const [confirm, setConfirm] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const jobs = useStudio((s) => s.jobs);
  const [verifyJob, setVerifyJob] = useState<string | null>(null);
  const verifying = verifyJob ? jobs[verifyJob] : undefined;
  const points = useMemo(() => d.steps.map((s) => ({ step: s.step, value: s.loss, run: 'A', series: 'train loss' })), [d]);
  const models = (d.record.models as { path?: string }[] | undefined)?.flatMap((m) => (m?.path ? [m.path] : [])) ?? [];
  const outputs = d.outputs;

  async function useAgain() {
    try {
      setRecipeToLoad((await studio.recipeFromYaml({ yaml: d.recipeYaml! })).recipe);
      setStep('scheme');
    } catch (e) { setMessage((e as Error).message); }
  }
  async function remove() {
    try { await studio.deleteRun({ dir: d.dir }); forgetModelNames(); onDeleted(); } catch (e) { setMessage((e as Error).message); setConfirm(false); }
  }
  /** Finds the merge's parents by SHA-256, re-runs its recorded recipe and compares every tensor (a job). */
  async function verify() {
    try { setVerifyJob((await studio.startJob({ kind: 'verify', params: { output: mergedFile! } })).jobId); } catch (e) { setMessage((e as Error).message); }
  }
  async function report() {
    try { downloadText('report.html', (await studio.compareReport({ runDir: d.dir })).html, 'text/html'); } catch (e) { setMessage((e as Error).message); }
  }
  const mergedFile = d.kind === 'merge' && d.status === 'succeeded' ? outputs.find((o) => /\.(onnx|safetensors|pt|pth|bin)$/i.test(o)) : undefined;
  const simple = Object.entries(d.record).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v));
  const facts = simple.filter(([k]) => !(k in PROCESS_FACTS) && !HEADER_FACTS.has(k)).slice(0, 16);
  const process = simple.filter(([k]) => k in PROCESS_FACTS);
  return (
    <section className={card} aria-label="Run details" data-testid="run-detail">
      <div className="mb-2 flex items-start justify-between gap-3">
        <div>
          <RunLabel run={d} onRenamed={onRenamed} />
          <div className="text-sm text-slate-600">{KIND_LABEL[d.kind] ?? d.kind} · {d.status}{d.startedAt ? ` · ${new Date(d.startedAt).toLocaleString()}` : ''} · {d.title}</div>
          <code className="text-xs text-slate-500">{d.dir}</code>
        </div>
        <button type="button" className={secondary} onClick={onClose}>Close</button>
      </div>
      {d.error && <p className="text-sm text-red-700">{d.error}</p>}
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-0.5 text-sm">
        {facts.map(([k, v]) => <Fragment key={k}><dt className="text-slate-600">{k}</dt><dd className="truncate font-mono text-xs">{String(v)}</dd></Fragment>)}
      </dl>
      {process.length > 0 && (
        <details className="mt-2 text-sm" data-testid="run-process">
          <summary className="cursor-pointer text-slate-600">Process</summary>
          <p className="text-xs text-slate-500">The program that ran it, on which computer: how a run left “running” by a crash is recognised.</p>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 text-xs">
            {process.map(([k, v]) => <Fragment key={k}><dt className="text-slate-600">{PROCESS_FACTS[k]}</dt><dd className="font-mono">{String(v)}</dd></Fragment>)}
          </dl>
        </details>
      )}
      {d.epochs.length > 0 && (
        <table className="mt-3 w-full text-sm"><thead><tr className="text-left text-slate-600"><th>Epoch</th><th>Loss</th><th>Train acc.</th><th>Test acc.</th></tr></thead>
          <tbody>{d.epochs.map((e, i) => <tr key={i} className="border-t border-slate-100"><td>{String(e.epoch)}</td><td>{Number(e.loss).toFixed(4)}</td><td>{pct(Number(e.accuracy))}</td><td>{typeof e.evalAccuracy === 'number' ? pct(e.evalAccuracy) : '—'}</td></tr>)}</tbody></table>
      )}
      {points.length > 1 && <div className="mt-3"><ChartCard id="run-loss" title="Training loss" spec={LOSS_SPEC} points={points} /></div>}
      {d.recipeYaml && <pre className="mt-3 max-h-64 overflow-auto rounded bg-slate-900 p-2 text-xs text-slate-100" data-testid="run-recipe">{d.recipeYaml}</pre>}
      {d.log.length > 0 && <details className="mt-2 text-sm"><summary className="cursor-pointer text-slate-600">Log ({d.log.length} lines)</summary><pre className="max-h-48 overflow-auto rounded bg-slate-900 p-2 text-xs text-slate-100">{d.log.join('\n')}</pre></details>}
      <div className="mt-3 flex flex-wrap gap-2">
        {d.kind === 'merge' && d.recipeYaml && <button type="button" className={primary} onClick={() => void useAgain()}>Use these settings again</button>}
        {(outputs.length > 0 || models.length > 0) && (
          <button type="button" className={secondary} onClick={() => { setCompareModels([...(d.kind === 'merge' ? d.inputs : models), ...outputs.filter((o) => /\.(onnx|safetensors|pt|pth)$/i.test(o))].map((p) => ({ path: p }))); onCompare(); }}>
            Compare its models
          </button>
        )}
        {d.hasReport && <button type="button" className={secondary} onClick={() => void report()}>Export HTML report</button>}
        {mergedFile && (
          <button type="button" className={secondary} disabled={verifying?.status === 'running' || verifying?.status === 'queued'} onClick={() => void verify()} title="Find the parents by SHA-256, re-run the recipe and compare every tensor bit for bit">
            Verify
          </button>
        )}
        {!confirm && <button type="button" className={`${secondary} ml-auto text-red-700`} onClick={() => setConfirm(true)}>Delete…</button>}
        {confirm && (
          <span className="ml-auto flex items-center gap-2 text-sm" role="alertdialog" aria-label="Confirm delete">
            Delete this run folder and every file in it?
            <button type="button" className="rounded bg-red-600 px-3 py-1 text-white" onClick={() => void remove()}>Delete</button>
            <button type="button" className={secondary} onClick={() => setConfirm(false)}>Keep</button>
          </span>
        )}
      </div>
      {verifying && <VerifyOutcome job={verifying} />}
      {message && <p role="alert" className="mt-2 text-sm text-red-700">{message}</p>}
    </section>
  );
}

/** A verify job as it runs, then its verdict: identical, or the parent missing or changed, or the tensors that differ. */
function VerifyOutcome({ job }: { job: JobSummary }) {
  const r = job.status === 'succeeded' ? job.result as VerifyResult : undefined;
  return (
    <div className="mt-3 rounded border border-slate-200 p-2 text-sm" data-testid="verify-result" data-status={job.status}>
      {!r && <p>{job.title}: {job.status}{job.message ? ` · ${job.message}` : ''}{job.error ? ` — ${job.error}` : ''}</p>}
      {r && (
        <>
          <p className={r.identical ? 'font-medium text-emerald-800' : 'font-medium text-red-800'} data-testid="verify-verdict">{r.verdict}</p>
          <ul className="mt-1 text-xs text-slate-600">
            {r.parents.map((p) => <li key={`${p.role}-${p.sha256}-${p.name}`}>{p.role} {p.name}: {p.status === 'found' ? p.path : p.status}</li>)}
          </ul>
          {r.differing.length > 0 && <ul className="mt-1 text-xs text-red-800">{r.differing.slice(0, 20).map((x) => <li key={x.name}>{x.name}: {x.why}</li>)}</ul>}
        </>
      )}
    </div>
  );
}

export function HistoryPanel({ onCompare }: { onCompare: () => void }) {
  const env = useStudio((s) => s.environment);
  const jobs = useStudio((s) => s.jobs);
  const [query, setQuery] = useState('');
  const [runs, setRuns] = useState<Runs | null>(null);
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [demoJob, setDemoJob] = useState<string | null>(null);
  // Reload when the query changes and when a job finishes (a new run folder).
  const finished = Object.values(jobs).filter((j) => j.status !== 'running' && j.status !== 'queued').length;
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => studio.listRuns(query.trim() ? { query } : {}).then((r) => { if (live) { setRuns(r); setError(null); } }, (e: Error) => live && setError(e.message)), 200);
    return () => { live = false; clearTimeout(t); };
  }, [query, finished]);
  async function open(dir: string) {
    try { setDetail(await studio.readRun({ dir })); } catch (e) { setError((e as Error).message); }
  }
  async function demo() {
    try { setDemoJob((await studio.startJob({ kind: 'demo', params: {} })).jobId); } catch (e) { setError((e as Error).message); }
  }
  const demoState = demoJob ? jobs[demoJob] : undefined;
  const nameOf = useModelNames(useMemo(() => (runs ?? []).flatMap((r) => modelFiles(r.outputs)), [runs]));
  /** A renamed run, in the table and in the open detail. */
  function renamed(r: Runs[number]) {
    setRuns((rs) => rs?.map((x) => (x.dir === r.dir ? { ...x, label: r.label } : x)) ?? null);
    setDetail((d) => (d && d.dir === r.dir ? { ...d, label: r.label } : d));
  }

  return (
    <div className="space-y-4">
      <input className={`${input} w-full`} type="search" aria-label="Search the runs" placeholder="Search by kind, status, method, dataset or file…" value={query} onChange={(e) => setQuery(e.target.value)} />
      {error && <p role="alert" className="text-red-700">{error}</p>}
      {runs && runs.length === 0 && (
        <div className={`${card} text-slate-600`} data-testid="history-empty">
          {query.trim() ? <>No run matches “{query}”.</> : <>
            <p>No runs yet in <code>{env?.workspace ?? 'the workspace'}</code>. Train a model, run a merge or a comparison and it appears here.</p>
            <p className="mt-2">Or run the demo: SmallCNN trained on MNIST for six epochs, its last three checkpoints averaged and compared (a few minutes).</p>
            <button type="button" className={`${primary} mt-2`} disabled={demoState?.status === 'running' || demoState?.status === 'queued'} onClick={() => void demo()}>Run the demo</button>
            {demoState && <p className="mt-2 text-sm">{demoState.title}: {demoState.status} {demoState.message ?? ''}</p>}
          </>}
        </div>
      )}
      {runs && runs.length > 0 && (
        <table className="w-full rounded-lg border border-slate-200 bg-white text-sm" aria-label="Runs" data-testid="history-table">
          <thead><tr className="bg-slate-50 text-left"><th className="p-2">Run</th><th>Kind</th><th>Status</th><th>Started</th><th>Wrote</th><th className="pr-2 text-right">Accuracy</th></tr></thead>
          <tbody>
            {runs.map((r) => {
              const models = modelFiles(r.outputs);
              return (
                <tr key={r.dir} className={`cursor-pointer border-t border-slate-100 align-top hover:bg-indigo-50 ${detail?.dir === r.dir ? 'bg-indigo-50' : ''}`} onClick={() => void open(r.dir)} data-testid="history-row">
                  <td className="max-w-sm p-2"><RunLabel run={r} onRenamed={renamed} /><div className="truncate text-xs text-slate-600" title={r.title}>{r.title}</div></td>
                  <td className="py-2">{KIND_LABEL[r.kind] ?? r.kind}</td>
                  <td className="py-2"><span className={`rounded px-2 py-0.5 text-xs ${STATUS_STYLE[r.status] ?? 'bg-slate-100 text-slate-700'}`} title={r.error}>{r.status}</span></td>
                  <td className="py-2 whitespace-nowrap">{r.startedAt ? new Date(r.startedAt).toLocaleString() : '—'}</td>
                  <td className="max-w-xs py-2 text-xs" data-testid="history-output">
                    {models.slice(-1).map((o) => <span key={o} className="block truncate font-mono" title={o}>{nameOf(o)}</span>)}
                    {models.length > 1 && <span className="text-slate-500">and {models.length - 1} more</span>}
                  </td>
                  <td className="py-2 pr-2 text-right">{r.accuracy === undefined ? '' : pct(r.accuracy)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {detail && <RunDetail d={detail} onClose={() => setDetail(null)} onCompare={onCompare} onRenamed={renamed} onDeleted={() => { setDetail(null); setRuns((rs) => rs?.filter((x) => x.dir !== detail.dir) ?? null); }} />}
    </div>
  );
}
