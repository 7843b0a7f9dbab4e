// Run: the merge running tensor by tensor (progress over bytes, time left, the tensor being merged, Cancel),
// then its output's path, size and hash. (The engine self-test is in About & diagnostics.)
import { useMemo } from 'react';
import { TriangleAlert } from 'lucide-react';
import type { JobSummary } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { forwardFrom } from '../navigation';
import { formatBytes } from '../components/format';
import { JobProgress } from '../components/JobProgress';
import { currentJobs } from '../components/job-progress-text';
import { useModelNames } from '../components/modelNames';
import { RunHistory } from '../components/RunHistory';
import { Guide, Screen } from '../components/Screen';
import { useStudio } from '../state/store';

interface MergeOutput { output: { path: string; bytes: number; sha256: string }; parents: { role?: string; path?: string; name: string; sha256: string }[]; runDir?: string; warnings: string[]; seconds: number }

function MergeResultPanel({ job }: { job: JobSummary }) {
  const { addModel, addLoadError, setStep, setCompareModels } = useStudio();
  const r = job.result as MergeOutput | undefined;
  // the parents by the runs that wrote them: two `epoch-002` files from different trainings read differently
  const nameOf = useModelNames(r?.parents.flatMap((p) => (p.path ? [p.path] : [])) ?? []);
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
        <dt className="text-slate-700">Output</dt><dd className="break-all font-mono text-xs" data-testid="merge-output">{r.output.path}</dd>
        <dt className="text-slate-700">Size</dt><dd>{formatBytes(r.output.bytes)}</dd>
        <dt className="text-slate-700">SHA-256</dt><dd className="break-all font-mono text-xs" data-testid="merge-sha">{r.output.sha256}</dd>
        <dt className="text-slate-700">Parents</dt>
        <dd className="text-xs" data-testid="merge-parents">
          {r.parents.map((p, i) => (
            <span key={`${p.role ?? ''}-${p.path ?? p.name}-${i}`} title={p.path ?? p.name}>
              {i > 0 && ' · '}{p.role === 'base' && 'base: '}{p.path ? nameOf(p.path) : p.name} <span className="font-mono text-slate-500">{p.sha256.slice(0, 12)}…</span>
            </span>
          ))}
        </dd>
        {r.runDir && <><dt className="text-slate-700">Run folder</dt><dd className="break-all font-mono text-xs">{r.runDir}</dd></>}
      </dl>
      {r.warnings.map((w) => <p key={w} className="mt-1 flex items-start gap-1 text-amber-800"><TriangleAlert aria-hidden className="mt-0.5 size-4 shrink-0" />{w}</p>)}
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
  // the newest merge (and any older one still running): an older result never stands beside a newer failure
  const merges = useMemo(() => currentJobs(Object.values(jobMap), 'merge'), [jobMap]);
  // Next stays open once any merge of this session has an output to compare, even after a later failure
  const done = Object.values(jobMap).some((j) => j.kind === 'merge' && j.status === 'succeeded');
  return (
    <Screen title="Run" lead="Compute the merge tensor by tensor, with progress, time left and Cancel at any point." next={done ? forwardFrom('run') : undefined}>
      {merges.length === 0 && (
        <Guide title="No merge has started yet" actions={[{ label: 'Set up a merge on Scheme', step: 'scheme' }, { label: 'Open models', step: 'load' }]}>
          Choose the models and a method on the Scheme screen, then press Run merge; its progress and result appear here.
        </Guide>
      )}
      {merges.map((job) => {
        const r = job.result as MergeOutput | undefined;
        return (
          <div key={job.id} className="space-y-2" data-current={job.id === mergeJobId || undefined}>
            <JobProgress job={job} outcome={r?.output && `Done: wrote ${baseName(r.output.path)} (${formatBytes(r.output.bytes)}) in ${r.seconds.toFixed(1)} s`} />
            <MergeResultPanel job={job} />
          </div>
        );
      })}
      <RunHistory refreshKey={Object.values(jobMap).map((j) => `${j.id}:${j.status}`).join(',')} />
    </Screen>
  );
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}
