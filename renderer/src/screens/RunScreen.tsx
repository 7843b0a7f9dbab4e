// Run: where jobs execute with progress, ETA and cancel. Until merges exist, the engine self-test runs here.
import { useMemo, useState } from 'react';
import { studio } from '../api/studio';
import { JobProgress } from '../components/JobProgress';
import { Screen } from '../components/Screen';
import { useStudio } from '../state/store';

export function RunScreen() {
  const jobMap = useStudio((s) => s.jobs);
  // newest first; ids are job-<n>
  const jobs = useMemo(() => Object.values(jobMap).sort((a, b) => Number(b.id.slice(4)) - Number(a.id.slice(4))), [jobMap]);
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
      <div className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4">
        <div>
          <div className="font-medium">Engine self-test</div>
          <p className="text-sm text-slate-600">A timed count that checks the engine, progress reporting and Cancel.</p>
        </div>
        <label className="ml-auto text-sm">
          Steps{' '}
          <input
            type="number"
            min={1}
            max={100000}
            value={steps}
            onChange={(e) => setSteps(Math.max(1, Number(e.target.value) || 1))}
            className="w-24 rounded border border-slate-300 px-2 py-1"
          />
        </label>
        <button type="button" className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700" onClick={() => void startSelftest()}>
          Run self-test
        </button>
      </div>
      {error && <p role="alert" className="text-red-700">{error}</p>}
      {jobs.map((job) => <JobProgress key={job.id} job={job} />)}
    </Screen>
  );
}
