// The loss plane through three of the models picked on the Compare tab, the others (merges) marked where they
// project onto it: accuracy and loss over the plane, so the basin shows, not one line. Runs as a job.
import { useMemo, useState } from 'react';
import { planeSpec } from '../../../../main/engine/charts/plane';
import type { PlaneRequest, PlaneResult } from '../../../../main/engine/compare/plane';
import { studio } from '../../api/studio';
import { ChartCard } from '../../components/ChartCard';
import { JobProgress } from '../../components/JobProgress';
import { useModelNames } from '../../components/modelNames';
import { useStudio } from '../../state/store';
import { card, input, pct, primary } from './ui';

export function PlanePanel() {
  const models = useStudio((s) => s.compareModels);
  const jobs = useStudio((s) => s.jobs);
  const nameOf = useModelNames(models.map((m) => m.path));
  const [corners, setCorners] = useState([0, 1, 2]);
  const [dataset, setDataset] = useState('mnist:test');
  const [grid, setGrid] = useState(11);
  const [samples, setSamples] = useState(1000);
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ref = (i: number) => ({ path: models[i].path, ...(models[i].arch ? { arch: models[i].arch } : {}), ...(models[i].label ? { label: models[i].label } : {}) });
  const distinct = new Set(corners).size === 3 && corners.every((i) => i < models.length);
  const marks = models.map((_, i) => i).filter((i) => !corners.includes(i));

  async function run() {
    setError(null);
    const request: PlaneRequest = {
      models: corners.map(ref), marks: marks.map(ref), dataset, grid, ...(samples > 0 ? { samples } : {}),
    };
    try { setJobId((await studio.startJob({ kind: 'plane', params: request })).jobId); } catch (e) { setError((e as Error).message); }
  }
  const job = jobId ? jobs[jobId] : undefined;
  // the job records the plane as a run of the workspace (runDir: its folder, with plane.json)
  const result = job?.status === 'succeeded' ? (job.result as PlaneResult & { runDir?: string }) : undefined;
  const running = job?.status === 'running' || job?.status === 'queued';
  const spec = useMemo(() => result && planeSpec(result), [result]);

  if (models.length < 3) return <p className="text-slate-600">Pick three or more models on the Compare models tab first (three models of one architecture; any more are marked on the plane).</p>;
  return (
    <div className="space-y-4">
      <section className={card} aria-label="Loss plane">
        <h2 className="font-medium">Loss plane</h2>
        <p className="mb-2 text-sm text-slate-600">The plane through the weights of A, B and C (B − A, and the part of C − A at right angles to it), measured on a {grid} × {grid} grid; the other models are marked where they project onto it.</p>
        <div className="flex flex-wrap items-end gap-3 text-sm">
          {(['A', 'B', 'C'] as const).map((name, k) => (
            <label key={name} className="flex flex-col gap-1"><span className="text-slate-600">{name}</span>
              <select className={input} aria-label={`Plane model ${name}`} value={corners[k]} onChange={(e) => setCorners(corners.map((c, j) => (j === k ? Number(e.target.value) : c)))}>
                {models.map((m, i) => <option key={m.path} value={i} title={m.path}>{m.label ?? nameOf(m.path)}</option>)}
              </select></label>
          ))}
          <label className="flex flex-col gap-1"><span className="text-slate-600">Dataset</span><input className={`${input} w-56`} aria-label="Plane dataset" value={dataset} onChange={(e) => setDataset(e.target.value)} /></label>
          <label className="flex flex-col gap-1"><span className="text-slate-600">Grid (points per axis)</span><input className={`${input} w-20`} type="number" min={2} max={41} aria-label="Grid" value={grid} onChange={(e) => setGrid(Math.min(41, Math.max(2, Number(e.target.value) || 2)))} /></label>
          <label className="flex flex-col gap-1"><span className="text-slate-600">Examples per point (0: all)</span><input className={`${input} w-24`} type="number" min={0} aria-label="Examples per point" value={samples} onChange={(e) => setSamples(Math.max(0, Math.floor(Number(e.target.value) || 0)))} /></label>
          <button type="button" className={primary} disabled={!distinct || !dataset.trim() || running} onClick={() => void run()}>Measure the plane</button>
        </div>
        {!distinct && <p role="alert" className="mt-2 text-sm text-red-700">A, B and C must be three different models.</p>}
        {marks.length > 0 && <p className="mt-2 text-xs text-slate-500">Marked: {marks.map((i) => models[i].label ?? nameOf(models[i].path)).join(', ')}</p>}
      </section>
      {error && <p role="alert" className="text-red-700">{error}</p>}
      {job && job.status !== 'succeeded' && <JobProgress job={job} />}
      {result && spec && (
        <div className="space-y-3" data-testid="plane-result">
          <ChartCard id="plane" title="Loss plane through A, B and C" spec={spec} fileName="loss-plane" />
          {result.runDir && <p className="text-xs text-slate-500" data-testid="plane-run">Kept in the run history: <code>{result.runDir}</code></p>}
          <table className="w-full text-sm"><thead><tr className="text-left text-slate-600"><th>Model</th><th>accuracy</th><th>loss</th><th>where</th></tr></thead>
            <tbody>{result.points.map((p) => (
              <tr key={`${p.role}-${p.path}`} className="border-t border-slate-100">
                <td>{p.role === 'mark' ? '◆' : p.role} {p.label}</td><td>{pct(p.accuracy)}</td><td>{p.loss.toFixed(4)}</td>
                <td>({p.x.toFixed(2)}, {p.y.toFixed(2)}){p.role === 'mark' && p.offPlane > 1e-3 ? `, ${p.offPlane.toPrecision(2)} off the plane` : ''}</td>
              </tr>
            ))}</tbody></table>
        </div>
      )}
    </div>
  );
}
