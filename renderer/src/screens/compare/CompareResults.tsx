// A comparison's answer: which model is best and by how much (the verdict), the table with the best per column
// marked and a confusion matrix on click, the charts (seed 002's, curves, grid, weight diffs), the ensemble
// note, where every number comes from, and the exports (HTML report, CSV, each chart as PNG).
import { useMemo, useState } from 'react';
import { chartsOf, confusionOf } from '../../../../main/engine/compare/charts-of';
import type { CompareResult } from '../../../../main/engine/compare/types';
import { studio } from '../../api/studio';
import { ChartCard } from '../../components/ChartCard';
import { downloadText } from '../../components/download';
import { useStudio } from '../../state/store';
import { card, input, pct, secondary } from './ui';

function Verdict({ r }: { r: CompareResult }) {
  const best = r.rows[r.best.accuracy];
  const merge = r.checkpoints ? r.rows[r.checkpoints.merge] : undefined;
  const ensemble = r.rows.find((x) => x.kind === 'ensemble');
  return (
    <p className="rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-emerald-950" data-testid="verdict">
      <b>{best.label}</b> is the most accurate on {r.dataset.spec}: {pct(best.accuracy)} (loss {best.loss.toFixed(4)}, {r.dataset.size} examples).
      {merge && r.checkpoints && <> The merge <b>{merge.label}</b> scores {pct(merge.accuracy)} against {pct(r.checkpoints.mean)} for the mean of its {r.checkpoints.points.length} parents ({merge.accuracy >= r.checkpoints.mean ? '+' : ''}{(100 * (merge.accuracy - r.checkpoints.mean)).toFixed(2)} points).</>}
      {ensemble && <> The ensemble of the parents scores {pct(ensemble.accuracy)}.</>}
    </p>
  );
}

export function CompareResults({ r }: { r: CompareResult }) {
  const setRecipeToLoad = useStudio((s) => s.setRecipeToLoad);
  const setStep = useStudio((s) => s.setStep);
  const [confusionRow, setConfusionRow] = useState<number | null>(null);
  const [picked, setPicked] = useState<number | null>(null);
  const [grid, setGrid] = useState(r.grid ? { x: r.grid.x, y: r.grid.y } : undefined);
  const [message, setMessage] = useState<string | null>(null);
  const charts = useMemo(() => chartsOf(r, grid), [r, grid]);
  const confusion = useMemo(() => (confusionRow === null ? null : confusionOf(r, confusionRow)), [r, confusionRow]);
  const onGridPick = useMemo(() => (d: Record<string, unknown>) => {
    const i = r.rows.findIndex((row) => row.id === d.id);
    if (i >= 0) setPicked(i);
  }, [r]);

  async function exportReport(what: 'html' | 'csv') {
    setMessage(null);
    try {
      const rep = await studio.compareReport({ runDir: r.runDir! });
      if (what === 'html') downloadText('report.html', rep.html, 'text/html');
      else downloadText('comparison.csv', rep.csv, 'text/csv');
      setMessage(`Exported; the report is also kept at ${rep.path}`);
    } catch (e) { setMessage((e as Error).message); }
  }
  async function useAgain(yaml: string) {
    try {
      setRecipeToLoad((await studio.recipeFromYaml({ yaml })).recipe);
      setStep('scheme');
    } catch (e) { setMessage((e as Error).message); }
  }

  const mark = (best: boolean) => (best ? 'font-semibold text-emerald-700' : '');
  const pickedRow = picked === null ? undefined : r.rows[picked];
  return (
    <div className="space-y-4" data-testid="compare-results">
      <Verdict r={r} />
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-sm" data-testid="compare-table" aria-label="Comparison">
          <thead>
            <tr className="bg-slate-50 text-right">
              <th className="p-2 text-left">Model</th><th className="p-2">Accuracy</th><th className="p-2">Loss</th>
              {r.classes.map((c) => <th key={c} className="p-2" title={`accuracy on class ${c}`}>{c}</th>)}
              {r.parents.map((p) => <th key={p} className="p-2" title="share of equal predictions">agrees with {r.rows[p].label}</th>)}
            </tr>
          </thead>
          <tbody>
            {r.rows.map((row, i) => (
              <tr key={row.id} className={`cursor-pointer border-t border-slate-100 text-right hover:bg-indigo-50 ${confusionRow === i ? 'bg-indigo-50' : ''}`} onClick={() => setConfusionRow(i)} data-testid={`row-${row.id}`} title="Show its confusion matrix">
                <td className="p-2 text-left"><span className="font-medium">{row.label}</span> <span className="text-xs text-slate-500">{row.kind}</span></td>
                <td className={`p-2 ${mark(r.best.accuracy === i)}`} data-best={r.best.accuracy === i || undefined}>{pct(row.accuracy)}{r.best.accuracy === i && ' ★'}</td>
                <td className={`p-2 ${mark(r.best.loss === i)}`} data-best={r.best.loss === i || undefined}>{row.loss.toFixed(4)}{r.best.loss === i && ' ★'}</td>
                {row.perClass.map((a, c) => <td key={c} className={`p-2 ${mark(r.best.perClass[c] === i)}`}>{Number.isNaN(a) ? '—' : (100 * a).toFixed(1)}</td>)}
                {row.agreement.map((a, j) => <td key={j} className="p-2">{pct(a)}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="text-xs text-slate-500">★ best in its column (per-class columns: accuracy in %, best in green). Click a row for its confusion matrix.</p>
      {confusion && <ChartCard id="confusion" title={confusion.title} spec={confusion.spec} />}
      <p className="rounded-lg border border-sky-200 bg-sky-50 p-3 text-sm text-sky-950" data-testid="ensemble-note"><b>Merge or ensemble? </b>{r.note}</p>
      {r.grid && grid && (
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <span className="text-slate-600">Grid of merges:</span>
          <select className={input} aria-label="grid columns" value={grid.x} onChange={(e) => setGrid({ ...grid, x: e.target.value })}>{r.grid.params.map((p) => <option key={p}>{p}</option>)}</select>
          <span>×</span>
          <select className={input} aria-label="grid rows" value={grid.y} onChange={(e) => setGrid({ ...grid, y: e.target.value })}>{['', ...r.grid.params, 'method'].filter((v, i, a) => a.indexOf(v) === i).map((p) => <option key={p} value={p}>{p || '(none)'}</option>)}</select>
          <span className="text-slate-500">click a cell to open that merge</span>
        </div>
      )}
      <div className="space-y-4">
        {charts.map((c) => <ChartCard key={c.id} id={c.id} title={c.title} spec={c.spec} {...(c.id === 'grid' ? { onPick: onGridPick } : {})} />)}
      </div>
      {r.curves?.errors.map((e) => <p key={e} className="text-sm text-amber-800">Curve not drawn — {e}</p>)}
      {pickedRow?.merge && (
        <section className={card} aria-label="Merge details" data-testid="merge-details">
          <div className="mb-2 flex items-center justify-between"><span className="font-medium">{pickedRow.label}: {pct(pickedRow.accuracy)}</span>
            <button type="button" className={secondary} onClick={() => setPicked(null)}>Close</button></div>
          <ul className="font-mono text-xs">{pickedRow.merge.parents.map((p) => <li key={p.name}>{p.role} {p.path ?? p.name} {p.sha256 ? `sha256 ${p.sha256.slice(0, 16)}…` : ''}</li>)}</ul>
          {pickedRow.merge.recipeYaml && <pre className="mt-2 max-h-60 overflow-auto rounded bg-slate-900 p-2 text-xs text-slate-100">{pickedRow.merge.recipeYaml}</pre>}
          {pickedRow.merge.recipeYaml && <button type="button" className={`${secondary} mt-2`} onClick={() => void useAgain(pickedRow.merge!.recipeYaml!)}>Use these settings again</button>}
        </section>
      )}
      <div className={`${card} flex flex-wrap items-center gap-2 text-sm`}>
        <button type="button" className={secondary} disabled={!r.runDir} onClick={() => void exportReport('html')}>Export HTML report</button>
        <button type="button" className={secondary} disabled={!r.runDir} onClick={() => void exportReport('csv')}>Table as CSV</button>
        <span className="text-slate-500">charts: the PNG button on each</span>
        {r.runDir && <span className="ml-auto text-xs text-slate-500">Run folder (request, inputs' SHA-256, eval.json, log): <code data-testid="compare-run-dir">{r.runDir}</code></span>}
      </div>
      {message && <p role="status" className="text-sm text-slate-700">{message}</p>}
      <details className="text-sm">
        <summary className="cursor-pointer text-slate-600">Inputs and their SHA-256</summary>
        <ul className="mt-1 font-mono text-xs">{r.inputs.map((i) => <li key={i.path}>{i.sha256} {i.path}</li>)}</ul>
      </details>
    </div>
  );
}
