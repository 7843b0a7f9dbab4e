// About & diagnostics: versions and what the engine runs on, and the engine self-test (a timed count that
// checks the engine, progress reporting and Cancel) — tools for when something looks wrong, kept off the wizard.
import { useEffect, useMemo, useRef, useState } from 'react';
import { X } from 'lucide-react';
import { studio } from '../api/studio';
import { useStudio } from '../state/store';
import { EnvironmentPanel } from './EnvironmentPanel';
import { JobProgress } from './JobProgress';

export function AboutDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const jobMap = useStudio((s) => s.jobs);
  const selftests = useMemo(() => Object.values(jobMap).filter((j) => j.kind === 'selftest').sort((a, b) => Number(b.id.slice(4)) - Number(a.id.slice(4))), [jobMap]);
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
    <dialog ref={ref} onClose={onClose} aria-labelledby="about-title" className="m-auto w-[min(40rem,92vw)] rounded-lg border border-slate-200 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-black/50">
      <div className="flex items-center justify-between border-b border-slate-200 px-5 py-3">
        <h2 id="about-title" className="text-lg font-semibold">About &amp; diagnostics</h2>
        <button type="button" onClick={onClose} aria-label="Close" className="rounded p-1 text-slate-600 hover:bg-slate-100"><X aria-hidden className="size-5" /></button>
      </div>
      <div className="max-h-[75vh] space-y-5 overflow-auto px-5 py-4">
        <section aria-labelledby="about-env">
          <h3 id="about-env" className="mb-2 font-medium">This installation</h3>
          <EnvironmentPanel />
        </section>
        <section aria-labelledby="about-selftest" className="space-y-3">
          <div>
            <h3 id="about-selftest" className="font-medium">Engine self-test</h3>
            <p className="text-sm text-slate-600">A timed count in the engine process that checks progress reporting and Cancel end to end.</p>
          </div>
          <div className="flex items-end gap-3">
            <label className="text-sm">
              Steps{' '}
              <input type="number" min={1} max={100000} value={steps} onChange={(e) => setSteps(Math.max(1, Number(e.target.value) || 1))} className="w-24 rounded border border-slate-300 bg-white px-2 py-1" />
            </label>
            <button type="button" className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700" onClick={() => void startSelftest()}>
              Run self-test
            </button>
          </div>
          {error && <p role="alert" className="text-sm text-red-700">{error}</p>}
          {selftests.map((job) => <JobProgress key={job.id} job={job} />)}
        </section>
      </div>
    </dialog>
  );
}
