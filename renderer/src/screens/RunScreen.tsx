// Run: the merge running tensor by tensor (progress over bytes, time left, the tensor being merged, Cancel),
// then its output's path, size and hash. The engine self-test lives here too.
import { useMemo, useState } from 'react';
import type { JobSummary } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { formatBytes } from '../components/format';
import { JobProgress } from '../components/JobProgress';
import { Screen } from '../components/Screen';
import { useStudio } from '../state/store';

interface MergeOutput { output: { path: string; bytes: number; sha256: string }; parents: { role?: string; path?: string; name: string; sha256: string }[]; runDir?: string; warnings: string[]; seconds: number }

function MergeResultPanel({ job }: { job: JobSummary }) {
  const { addModel, addLoadError, setStep, setCompareModels } = useStudio();
  const r = job.result as MergeOutput | undefined;
  if (job.status !== 'succeeded' || !r?.output) return null;
  async function inspect() {
    try { addModel(await studio.openModel({ path: r!.output.path })); } catch (e) { addLoadError(r!.output.path, (e as Error).message); }
    setStep('load');
  }
  /** Compare opens with the merge and its parents (not the base) selected. */
  function compare() {
    const parents = r!.parents.filter((p) => p.role !== 'base' && p.path).map((p) => ({ path: p.path! }));
    setCompareModels([...parents, { path: r!.output.path }]);
    setStep('compare');
  }
  return (
    <div className="rounded-lg border border-emerald-200 bg-emerald-50 p-4 text-sm" data-testid="merge-result">
      <div className="font-medium text-emerald-900">Merged in {r.seconds.toFixed(1)} s</div>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
        <dt className="text-slate-600">Output</dt><dd className="font-mono text-xs" data-testid="merge-output">{r.output.path}</dd>
        <dt className="text-slate-600">Size</dt><dd>{formatBytes(r.output.bytes)}</dd>
        <dt className="text-slate-600">SHA-256</dt><dd className="font-mono text-xs" data-testid="merge-sha">{r.output.sha256}</dd>
        <dt className="text-slate-600">Parents</dt><dd className="font-mono text-xs">{r.parents.map((p) => `${p.name} ${p.sha256.slice(0, 12)}…`).join(' · ')}</dd>
        {r.runDir && <><dt className="text-slate-600">Run folder</dt><dd className="font-mono text-xs">{r.runDir}</dd></>}
      </dl>
      {r.warnings.map((w) => <p key={w} className="text-amber-800">⚠ {w}</p>)}
      <div className="mt-3 flex gap-2">
        <button type="button" className="rounded bg-emerald-700 px-3 py-1 text-white" onClick={compare}>Compare with its parents →</button>
        <button type="button" className="rounded border border-emerald-700 px-3 py-1 text-emerald-800" onClick={() => void inspect()}>Inspect the merged model</button>
      </div>
    </div>
  );
}

export function RunScreen() {
  const jobMap = useStudio((s) => s.jobs);
  const mergeJobId = useStudio((s) => s.mergeJobId);
  // newest first; ids are job-<n>
  const jobs = useMemo(() => Object.values(jobMap).sort((a, b) => Number(b.id.slice(4)) - Number(a.id.slice(4))), [jobMap]);
  const merges = jobs.filter((j) => j.kind === 'merge');
  const others = jobs.filter((j) => j.kind !== 'merge');
  const [steps, setSteps] = useState(100);
  const [error, setError] = useState<string | null>(null);

  async function startSelftest() {
    setError(null);
    try {
      await studio.startJob({ kind: 'selftest', params: { steps, stepMs: 50 } });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <Screen title="Run" lead="Compute the merge tensor by tensor, with progress, time left and Cancel at any point." next={{ step: 'compare', label: 'Compare the results' }}>
      {merges.length === 0 && <p className="text-slate-600">No merge yet: set one up on the Scheme screen and press Run merge.</p>}
      {merges.map((job) => (
        <div key={job.id} className={`space-y-2 ${job.id === mergeJobId ? '' : 'opacity-80'}`}>
          <JobProgress job={job} />
          <MergeResultPanel job={job} />
        </div>
      ))}
      <div className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4">
        <div>
          <div className="font-medium">Engine self-test</div>
          <p className="text-sm text-slate-600">A timed count that checks the engine, progress reporting and Cancel.</p>
        </div>
        <label className="ml-auto text-sm">
          Steps{' '}
          <input type="number" min={1} max={100000} value={steps} onChange={(e) => setSteps(Math.max(1, Number(e.target.value) || 1))} className="w-24 rounded border border-slate-300 px-2 py-1" />
        </label>
        <button type="button" className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700" onClick={() => void startSelftest()}>
          Run self-test
        </button>
      </div>
      {error && <p role="alert" className="text-red-700">{error}</p>}
      {others.map((job) => <JobProgress key={job.id} job={job} />)}
    </Screen>
  );
}
