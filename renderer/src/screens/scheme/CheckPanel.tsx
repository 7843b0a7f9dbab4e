// The Scheme screen's Check panel: the merge doctor on the recipe as it stands, run as a job before the merge —
// its verdict in words, the peak memory against the free memory, lineage (shared inits, the base, who needs
// alignment), interference per layer as a heatmap, and with a dataset a probe of the midpoints.
import { useMemo, useState } from 'react';
import { interferenceHeatmapSpec, interferencePoints } from '../../../../main/engine/charts/doctor';
import type { DoctorResult } from '../../../../main/engine/doctor/types';
import { studio } from '../../api/studio';
import { ChartCard } from '../../components/ChartCard';
import { JobProgress } from '../../components/JobProgress';
import { formatBytes } from '../../components/format';
import { useStudio } from '../../state/store';

const input = 'rounded border border-slate-300 px-2 py-1 text-sm';
const card = 'rounded-lg border border-slate-200 bg-white p-4';
const HEATMAP = interferenceHeatmapSpec();
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

function Result({ r }: { r: DoctorResult & { runDir?: string } }) {
  const points = useMemo(() => interferencePoints(r.layers), [r]);
  const l = r.lineage;
  return (
    <div className="mt-3 space-y-3 text-sm" data-testid="check-result">
      <p className="rounded bg-indigo-50 p-2 text-indigo-950" data-testid="check-verdict"><span className="font-semibold">Verdict:</span> {r.verdict}</p>
      {r.runDir && <p className="text-xs text-slate-500" data-testid="check-run">Kept in the run history: <code>{r.runDir}</code></p>}
      <p data-testid="check-memory">
        Peak memory about {formatBytes(r.memory.peak_bytes)} of {formatBytes(r.memory.free_bytes)} free
        {r.memory.fits ? '' : <span className="font-semibold text-red-700"> — more than is free</span>} · about {r.memory.seconds < 1 ? '1 s' : `${Math.round(r.memory.seconds)} s`}
      </p>
      {l && (
        <div data-testid="check-lineage">
          <h3 className="font-medium">Lineage</h3>
          <p>
            Base: <span className="font-mono">{l.base ?? '—'}</span>{l.base_given ? ' (given)' : l.base ? ' (found)' : ''}
            {' · '}Shared init: {l.shared_init.length ? l.shared_init.map((g) => g.join(' + ')).join('; ') : 'none'}
            {' · '}Needs alignment: {l.needs_alignment.length ? l.needs_alignment.join(', ') : 'none'}
          </p>
          <table className="mt-1 text-xs">
            <thead><tr className="text-left text-slate-500"><th className="pr-3">Pair</th><th className="pr-3">Weight cosine</th><th className="pr-3">Relative distance</th><th>Shared init</th></tr></thead>
            <tbody>{l.pairs.map((p) => (
              <tr key={`${p.a}|${p.b}`} className="border-t border-slate-100"><td className="pr-3 font-mono">{p.a} ~ {p.b}</td><td className="pr-3">{p.weight_cosine.toFixed(3)}</td><td className="pr-3">{p.relative_distance.toFixed(3)}</td><td>{p.shared_init ? 'yes' : 'no'}</td></tr>
            ))}</tbody>
          </table>
          {l.task_vectors.length > 0 && <p className="mt-1 text-xs text-slate-600">Task-vector cosine from {l.base}: {l.task_vectors.map((t) => `${t.a} · ${t.b} ${t.cosine.toFixed(2)}`).join('; ')}</p>}
        </div>
      )}
      {r.layers.length > 0 && <ChartCard id="interference" title="Interference per layer" spec={HEATMAP} points={points} />}
      {r.probe && (
        <div data-testid="check-probe">
          <h3 className="font-medium">Probe on {r.probe.samples} samples of {r.probe.dataset}{r.probe.bn_reset ? ' (BatchNorm reset for the midpoints)' : ''}</h3>
          <ul className="text-xs">{[...r.probe.models, ...(r.probe.naive ? [r.probe.naive] : []), ...(r.probe.aligned ? [r.probe.aligned] : [])].map((s) => <li key={s.name}>{s.name}: {pct(s.accuracy)} (loss {s.loss.toFixed(3)})</li>)}</ul>
          {r.probe.error && <p className="text-xs text-red-700">{r.probe.error}</p>}
        </div>
      )}
    </div>
  );
}

export function CheckPanel({ recipe, disabled }: { recipe: Record<string, unknown>; disabled: boolean }) {
  const jobs = useStudio((s) => s.jobs);
  const [jobId, setJobId] = useState<string | null>(null);
  const [dataset, setDataset] = useState('');
  const [samples, setSamples] = useState(500);
  const [error, setError] = useState<string | null>(null);
  const job = jobId ? jobs[jobId] : undefined;
  const running = job?.status === 'running' || job?.status === 'queued';

  async function check() {
    setError(null);
    try {
      const params = { recipe, ...(dataset.trim() ? { dataset: dataset.trim(), samples } : {}) };
      setJobId((await studio.startJob({ kind: 'doctor', params })).jobId);
    } catch (e) { setError((e as Error).message); }
  }

  return (
    <section className={card} aria-label="Check" data-testid="check-panel">
      <h2 className="mb-1 font-medium">Check before merging</h2>
      <p className="mb-2 text-xs text-slate-500">
        The merge doctor reads the weights: which models share an initialisation and which is their base, which need alignment,
        how much their task vectors conflict per layer, the merge's peak memory; with a dataset, how the midpoints do on a sample.
      </p>
      <div className="flex flex-wrap items-end gap-2 text-sm">
        <label className="flex flex-1 flex-col">Probe dataset (optional)<input className={input} placeholder="mnist:test" value={dataset} aria-label="Probe dataset" onChange={(e) => setDataset(e.target.value)} /></label>
        <label className="flex flex-col">Samples<input className={`${input} w-24`} type="number" min={1} value={samples} aria-label="Probe samples" onChange={(e) => setSamples(Math.max(1, Number(e.target.value) || 1))} /></label>
        <button type="button" className="rounded-md border border-indigo-600 px-4 py-1.5 font-medium text-indigo-700 hover:bg-indigo-50 disabled:opacity-40" disabled={disabled || running} onClick={() => void check()}>Check</button>
      </div>
      {error && <p role="alert" className="mt-2 text-sm text-red-700">{error}</p>}
      {job && job.status !== 'succeeded' && <div className="mt-3"><JobProgress job={job} /></div>}
      {job?.status === 'succeeded' && job.result !== undefined && <Result r={job.result as DoctorResult} />}
    </section>
  );
}
