// Align: (1) line up every tensor of the reference with each other model's — by name, then order and shape — and
// let the user re-map or exclude rows; (2) permute hidden units (none / weight matching / activation matching)
// with progress and a per-group summary, and preview the interpolation midpoint naive vs aligned; (3) choose the
// BatchNorm repair after merging. The choices go into the recipe the Scheme screen builds (its `align:` key).
import { useEffect, useMemo, useState } from 'react';
import type { JobSummary, LayerMatchResult, LoadedModel } from '../../../main/engine/api';
import { curvePoints, interpolationCurveSpec } from '../../../main/engine/charts/alignment';
import { studio } from '../api/studio';
import { groupLabel, nodeLabel } from '../components/layer-names';
import { JobProgress } from '../components/JobProgress';
import { useModelNames } from '../components/modelNames';
import { Guide, Screen } from '../components/Screen';
import { forwardFrom } from '../navigation';
import { VegaChart } from '../components/VegaChart';
import { useStudio, type AlignChoice } from '../state/store';

const card = 'rounded-lg border border-slate-200 bg-white p-4';
const input = 'rounded border border-slate-300 px-2 py-1 text-sm';
const STATUS_STYLE: Record<string, string> = {
  matched: 'bg-emerald-100 text-emerald-800', renamed: 'bg-sky-100 text-sky-800', 'shape differs': 'bg-red-100 text-red-800',
  missing: 'bg-amber-100 text-amber-900', excluded: 'bg-slate-200 text-slate-700',
};

interface GroupRow { name: string; size: number; moved: number; similarityBefore: number; similarityAfter: number }
interface AlignResult { report: { models: { file: string; iterations: number; groups: GroupRow[]; distance: { before: number; after: number } }[]; spec: { unsupported: { node: string; opType: string; message: string }[] } }; outputs: string[]; alignmentFile: string }
interface CurveResult { alphas: number[]; curves: Record<string, { accuracy: number[]; loss: number[] }>; barriers: Record<string, number>; repair: AlignChoice['repair']; sampleDataset?: string }

/** The alignments of the preview in words (its curves are keyed by method). */
const ALIGN_WORDS: Record<string, string> = { none: 'naive', weight: 'weight matching', activation: 'activation matching' };
const REPAIR_WORDS = { reset: 'BatchNorm statistics repaired', repair: 'REPAIR rescaling' } as const;

/** How the preview's points were made, said beside its numbers: a repair changes them a lot. */
function repairSaid(repair: AlignChoice['repair'], sample?: string): string {
  return repair === 'none' ? 'without repair' : `with ${REPAIR_WORDS[repair]} on ${sample ?? 'the data sample'}`;
}

const DEFAULT: AlignChoice = { method: 'weight', dataset: 'mnist:train', samples: 1024, repair: 'none', rename: {}, exclude: [] };

function hasBatchNorm(m: LoadedModel): boolean {
  return m.inspection.tensors.some((t) => t.name.endsWith('running_mean')) || !!m.inspection.graph?.nodes.some((n) => n.opType === 'BatchNormalization');
}

export function AlignScreen() {
  const models = useStudio((s) => s.models);
  const nameOf = useModelNames(models.map((m) => m.path));
  const jobs = useStudio((s) => s.jobs);
  const stored = useStudio((s) => s.alignment);
  const setAlignment = useStudio((s) => s.setAlignment);
  const [refId, setRefId] = useState<string | null>(null);
  const reference = models.find((m) => m.modelId === refId) ?? models[0];
  const others = models.filter((m) => m !== reference);
  const bn = models.some(hasBatchNorm);
  const choice: AlignChoice = stored ?? { ...DEFAULT, repair: bn ? 'reset' : 'none' };
  const update = (patch: Partial<AlignChoice>) => setAlignment({ ...choice, ...patch });

  const [tables, setTables] = useState<LayerMatchResult[] | null>(null);
  const [tableError, setTableError] = useState<string | null>(null);
  const [accepted, setAccepted] = useState(false);
  const otherPaths = others.map((m) => m.path).join('\n');
  useEffect(() => {
    if (!reference || !others.length) { setTables(null); return; }
    let live = true;
    const rename = others.map((o) => choice.rename[o.path] ?? {});
    studio.matchLayers({ reference: reference.path, others: others.map((o) => o.path), rename }).then(
      (t) => { if (live) { setTables(t); setTableError(null); } },
      (e: Error) => { if (live) { setTables(null); setTableError(e.message); } },
    );
    return () => { live = false; };
    // re-match when the models or the user's edits change
  }, [reference?.path, otherPaths, JSON.stringify(choice.rename)]);

  const [alignJobId, setAlignJobId] = useState<string | null>(null);
  const [curveJobId, setCurveJobId] = useState<string | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  const [evalDataset, setEvalDataset] = useState('mnist:test');
  const [architectures, setArchitectures] = useState<{ id: string; label: string }[]>([]);
  useEffect(() => { studio.trainingChoices({}).then((c) => setArchitectures(c.architectures), () => {}); }, []);
  // weights that record no architecture are read as the one chosen here (the engine's errors point to this field)
  const archParam = choice.arch ? { arch: choice.arch } : {};
  const alignJob: JobSummary | undefined = alignJobId ? jobs[alignJobId] : undefined;
  const curveJob: JobSummary | undefined = curveJobId ? jobs[curveJobId] : undefined;
  const alignResult = alignJob?.status === 'succeeded' ? (alignJob.result as AlignResult) : undefined;
  const curve = curveJob?.status === 'succeeded' ? (curveJob.result as CurveResult) : undefined;
  const spec = useMemo(() => interpolationCurveSpec('Test accuracy (%) from the reference (α = 0) to the other model (α = 1)'), []);
  const points = useMemo(() => (curve ? curvePoints(curve, ALIGN_WORDS) : []), [curve]);
  // The preview repairs each point as the merge will (step 3), unless the user turns it off here; the choice
  // is the preview's own and never reaches the recipe. With no repair in step 3 it offers the one that fits.
  const [previewRepairOn, setPreviewRepairOn] = useState<boolean | null>(null);
  const previewRepairMethod: 'reset' | 'repair' = choice.repair !== 'none' ? choice.repair : bn ? 'reset' : 'repair';
  const previewRepair: AlignChoice['repair'] = (previewRepairOn ?? choice.repair !== 'none') ? previewRepairMethod : 'none';

  const blocking = (tables ?? []).some((t) => t.rows.some((r) => r.status === 'missing' || r.status === 'shape differs'));
  async function runAlignment() {
    setRunError(null);
    setAlignment(choice); // what is shown is what the recipe gets
    try {
      const r = await studio.startJob({
        kind: 'align',
        params: {
          reference: reference!.path, others: others.map((o) => o.path), method: choice.method,
          ...(choice.method === 'activation' ? { dataset: choice.dataset, samples: choice.samples } : {}),
          rename: others.map((o) => choice.rename[o.path] ?? {}), ...archParam,
        },
      });
      setAlignJobId(r.jobId);
    } catch (e) { setRunError((e as Error).message); }
  }
  async function preview() {
    setRunError(null);
    setAlignment(choice);
    try {
      const aligns = choice.method === 'none' ? ['none' as const] : ['none' as const, choice.method];
      const r = await studio.startJob({
        kind: 'curve',
        params: {
          a: reference!.path, b: others[0].path, dataset: evalDataset, steps: 5, aligns, repair: previewRepair,
          ...(choice.method === 'activation' || previewRepair !== 'none' ? { sampleDataset: choice.dataset, samples: choice.samples } : {}),
          rename: choice.rename[others[0].path] ?? {}, ...archParam,
        },
      });
      setCurveJobId(r.jobId);
    } catch (e) { setRunError((e as Error).message); }
  }

  if (models.length < 2) {
    return (
      <Screen title="Align layers" lead="Match layers across models by name, order and shape, then permute hidden units so averaging means something." next={forwardFrom('align')}>
        <div data-testid="align-needs-models">
          <Guide title="Alignment needs two models" actions={[{ label: 'Open models', step: 'load' }, { label: 'Train two models', step: 'train' }]}>
            Open at least two models on the Load screen to align them. Checkpoints of one run share a basin and need no alignment: go straight to Scheme.
          </Guide>
        </div>
      </Screen>
    );
  }

  return (
    <Screen title="Align layers" lead="Match layers across models by name, order and shape, then permute hidden units so averaging means something." next={forwardFrom('align')}>
      <div className={card}>
        <label className="text-sm">Reference model{' '}
          <select aria-label="Reference model" className={input} value={reference!.modelId} onChange={(e) => setRefId(e.target.value)}>
            {models.map((m) => <option key={m.modelId} value={m.modelId} title={m.path}>{nameOf(m.path)}</option>)}
          </select>
        </label>
        <span className="ml-3 text-sm text-slate-500">The other models are lined up with it and permuted onto it.</span>
      </div>

      <section className={card} aria-labelledby="step-layers">
        <h2 id="step-layers" className="font-medium">1 · Layer matching</h2>
        {tableError && <p role="alert" className="text-sm text-red-700">{tableError}</p>}
        {tables?.map((t, k) => {
          const other = others[k];
          if (!other) return null;
          const counts = t.rows.reduce<Record<string, number>>((c, r) => ({ ...c, [r.status]: (c[r.status] ?? 0) + 1 }), {});
          return (
            <div key={other.path} className="mt-3" data-testid="layer-table">
              <div className="mb-1 text-sm"><span className="font-medium" title={other.path}>{nameOf(other.path)}</span> — {Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')}</div>
              <div className="max-h-72 overflow-auto rounded border border-slate-200">
                <table className="w-full text-left text-xs">
                  <thead className="sticky top-0 bg-slate-50"><tr><th className="p-1" title={reference!.path}>{nameOf(reference!.path)}</th><th className="p-1">shape</th><th className="p-1" title={other.path}>{nameOf(other.path)}</th><th className="p-1">status</th><th className="p-1">exclude</th></tr></thead>
                  <tbody>
                    {t.rows.map((r) => (
                      <tr key={r.reference} className="border-t border-slate-100" data-status={r.status}>
                        <td className="p-1 font-mono">{r.reference}</td>
                        <td className="p-1">{r.shape.join('×') || 'scalar'}</td>
                        <td className="p-1">
                          <select aria-label={`Match for ${r.reference} in ${other.fileName}`} className="max-w-64 rounded border border-slate-200 font-mono" value={r.other ?? ''}
                            onChange={(e) => update({ rename: { ...choice.rename, [other.path]: { ...(choice.rename[other.path] ?? {}), [r.reference]: e.target.value } } })}>
                            <option value="">—</option>
                            {other.inspection.tensors.map((x) => <option key={x.name} value={x.name}>{x.name} ({x.shape.join('×')})</option>)}
                          </select>
                        </td>
                        <td className="p-1"><span className={`rounded px-1 ${STATUS_STYLE[r.status]}`}>{r.status}</span></td>
                        <td className="p-1"><input type="checkbox" aria-label={`Exclude ${r.reference}`} checked={choice.exclude.includes(r.reference)}
                          onChange={(e) => update({ exclude: e.target.checked ? [...choice.exclude, r.reference] : choice.exclude.filter((x) => x !== r.reference) })} /></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          );
        })}
        <div className="mt-3 flex items-center gap-3">
          <button type="button" className="rounded border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100" disabled={!tables || blocking}
            onClick={() => {
              // the renamed rows become explicit, so the recipe carries the whole mapping
              const rename = { ...choice.rename };
              tables?.forEach((t, k) => { const m: Record<string, string> = { ...(rename[others[k].path] ?? {}) }; for (const r of t.rows) if (r.status === 'renamed' && r.other) m[r.reference] = r.other; rename[others[k].path] = m; });
              update({ rename }); setAccepted(true);
            }}>Accept all</button>
          {accepted && <span className="text-sm text-emerald-700" data-testid="layers-accepted">Mapping accepted: it is part of the recipe.</span>}
          {blocking && <span className="text-sm text-red-700" data-testid="layers-blocking">Some tensors have no match of the same shape: re-map or exclude them, or align models of one architecture.</span>}
        </div>
      </section>

      <section className={card} aria-labelledby="step-perm">
        <h2 id="step-perm" className="font-medium">2 · Permutation alignment</h2>
        <div role="radiogroup" aria-label="Alignment method" className="mt-2 flex flex-wrap gap-4 text-sm">
          {([['none', 'None — checkpoints of one run share a basin'], ['weight', 'Weight matching (data-free)'], ['activation', 'Activation matching (needs data)']] as const).map(([m, label]) => (
            <label key={m}><input type="radio" name="align-method" checked={choice.method === m} onChange={() => update({ method: m })} /> {label}</label>
          ))}
        </div>
        <div className="mt-2 flex flex-wrap items-center gap-3 text-sm">
          <label>Data sample <input aria-label="Data sample" className={input} value={choice.dataset} onChange={(e) => update({ dataset: e.target.value })} /></label>
          <label>Architecture{' '}
            <select aria-label="Architecture" className={input} value={choice.arch ?? ''} onChange={(e) => update({ arch: e.target.value || undefined })}>
              <option value="">as recorded in the files</option>
              {architectures.map((a) => <option key={a.id} value={a.id}>{a.label}</option>)}
            </select>
          </label>
          <label>Examples <input aria-label="Examples" type="number" min={1} className={`${input} w-24`} value={choice.samples} onChange={(e) => update({ samples: Math.max(1, Number(e.target.value) || 1) })} /></label>
          <button type="button" className="rounded-md bg-indigo-600 px-3 py-1 font-medium text-white hover:bg-indigo-700 disabled:opacity-40" disabled={blocking || choice.method === 'none'} onClick={() => void runAlignment()}>Align now</button>
        </div>
        {alignJob && <div className="mt-3"><JobProgress job={alignJob} /></div>}
        {alignResult && (
          <div className="mt-3 space-y-2" data-testid="align-summary">
            {alignResult.report.spec.unsupported.map((u) => <p key={u.node} className="text-sm text-amber-800">Left unpermuted: {nodeLabel(u.node, u.opType)} — {u.message}</p>)}
            {alignResult.report.models.map((m, k) => (
              <div key={m.file} className="text-sm">
                <div className="font-medium" title={others[k]?.path}>{others[k] ? nameOf(others[k].path) : ''}: {m.iterations} round{m.iterations === 1 ? '' : 's'}, distance to the reference {m.distance.before.toFixed(1)} → {m.distance.after.toFixed(1)}</div>
                <table className="mt-1 text-xs"><thead><tr><th className="pr-4 text-left">group</th><th className="pr-4">units moved</th><th className="pr-4">similarity before</th><th>after</th></tr></thead>
                  <tbody>{m.groups.map((g) => <tr key={g.name}><td className="pr-4 font-mono">{groupLabel(g.name)}</td><td className="pr-4 text-center">{g.moved}/{g.size}</td><td className="pr-4 text-center">{g.similarityBefore.toFixed(2)}</td><td className="text-center">{g.similarityAfter.toFixed(2)}</td></tr>)}</tbody>
                </table>
              </div>
            ))}
            <p className="text-xs text-slate-500">Aligned copies and alignment.json: {alignResult.alignmentFile}</p>
          </div>
        )}
        <div className="mt-3 flex flex-wrap items-center gap-3 border-t border-slate-100 pt-3 text-sm">
          <span>Preview the midpoint, naive vs aligned, on</span>
          <input aria-label="Evaluation dataset" className={input} value={evalDataset} onChange={(e) => setEvalDataset(e.target.value)} />
          <button type="button" className="rounded border border-slate-300 px-3 py-1 hover:bg-slate-100" disabled={blocking} onClick={() => void preview()}>Preview curve</button>
          <label className="basis-full text-slate-700">
            <input type="checkbox" checked={previewRepair !== 'none'} onChange={(e) => setPreviewRepairOn(e.target.checked)} />{' '}
            Repair each point first ({REPAIR_WORDS[previewRepairMethod]} on {choice.dataset}), for this preview only
          </label>
        </div>
        {curveJob && <div className="mt-3"><JobProgress job={curveJob} /></div>}
        {curve && (
          <div className="mt-3" data-testid="curve-preview">
            <p className="text-sm">
              Midpoint test accuracy, {repairSaid(curve.repair, curve.sampleDataset)}:{' '}
              {Object.entries(curve.curves).map(([k, c]) => `${ALIGN_WORDS[k] ?? k} ${(100 * c.accuracy[Math.floor(c.accuracy.length / 2)]).toFixed(1)} %`).join(' · ')}
              {' '}(loss barrier {Object.entries(curve.barriers).map(([k, b]) => `${ALIGN_WORDS[k] ?? k} ${b.toFixed(3)}`).join(', ')})
            </p>
            <VegaChart spec={spec} points={points} label="interpolation curve" />
          </div>
        )}
        {runError && <p role="alert" className="mt-2 text-sm text-red-700">{runError}</p>}
      </section>

      <section className={card} aria-labelledby="step-repair">
        <h2 id="step-repair" className="font-medium">3 · BatchNorm repair after merging</h2>
        <div role="radiogroup" aria-label="BatchNorm repair" className="mt-2 flex flex-wrap gap-4 text-sm">
          {([['none', 'None'], ['reset', 'Recompute statistics (update_bn)'], ['repair', 'REPAIR rescaling']] as const).map(([m, label]) => (
            <label key={m}><input type="radio" name="repair" checked={choice.repair === m} onChange={() => update({ repair: m })} /> {label}</label>
          ))}
        </div>
        <p className="mt-1 text-xs text-slate-500">{bn ? 'These models have BatchNorm: after averaging, its running statistics no longer fit the weights.' : 'These models have no BatchNorm; REPAIR rescales their hidden layers instead.'} Uses the data sample above.</p>
      </section>
    </Screen>
  );
}
