// Scheme: pick the models, the method (with its formula and when to use it), its parameters, per-layer
// rules and the output; see the recipe as YAML and a truthful pre-flight; Run stays off while anything blocks.
import { useEffect, useMemo, useState } from 'react';
import type { MethodInfo, PreflightResult } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { formatBytes, formatCount, formatParams } from '../components/format';
import { Guide, Screen } from '../components/Screen';
import { useModelNames } from '../components/modelNames';
import { useStudio } from '../state/store';
import { BaseModelField } from './scheme/BaseModelField';
import { CheckPanel } from './scheme/CheckPanel';
import { alignmentFromRecipe, withAlignment } from './alignRecipe';
import { DataSampleField } from './scheme/DataSampleField';
import { RecipeStepsList } from './scheme/RecipeStepsList';
import { MergekitImport } from './scheme/MergekitImport';
import { inScreenWords } from './scheme/blockingWords';
import { DEFAULT_DATA, emptySchemeForm, formToRecipe, groupNames, parseWeightText, recipeToForm, type GroupAction, type SchemeForm } from './scheme/recipeForm';

const input = 'rounded border border-slate-300 px-2 py-1 text-sm';
const card = 'rounded-lg border border-slate-200 bg-white p-4';

export function SchemeScreen() {
  const loaded = useStudio((s) => s.models);
  const setStep = useStudio((s) => s.setStep);
  const setMergeJob = useStudio((s) => s.setMergeJob);
  const setAlignment = useStudio((s) => s.setAlignment);
  const [methods, setMethods] = useState<MethodInfo[]>([]);
  // The form outlives the screen (the store keeps it): coming back finds it as left, and the Compare screen's
  // search varies the recipe it makes.
  const setSchemeForm = useStudio((s) => s.setSchemeForm);
  const [form, setForm] = useState<SchemeForm>(() => useStudio.getState().schemeForm ?? emptySchemeForm());
  const nameOf = useModelNames(form.models.map((m) => m.path));
  useEffect(() => { setSchemeForm(form); }, [form, setSchemeForm]);
  const [yaml, setYaml] = useState('');
  const [recipeError, setRecipeError] = useState<string | null>(null);
  const [preflight, setPreflight] = useState<PreflightResult | null>(null);
  const [checking, setChecking] = useState(false);
  const [recipePath, setRecipePath] = useState('');
  const [fileMessage, setFileMessage] = useState<string | null>(null);
  const [mergekit, setMergekit] = useState<{ text: string; dropped: string[] } | null>(null);
  const [importNotes, setImportNotes] = useState<string[]>([]);
  const [runError, setRunError] = useState<string | null>(null);

  useEffect(() => { studio.mergeMethods({}).then(setMethods, (e: Error) => setRunError(e.message)); }, []);
  // "Use these settings again" in the run history hands a recipe over.
  const recipeToLoad = useStudio((s) => s.recipeToLoad);
  const setRecipeToLoad = useStudio((s) => s.setRecipeToLoad);
  useEffect(() => {
    if (!recipeToLoad) return;
    setForm((f) => recipeToForm(recipeToLoad as never, f));
    setAlignment(alignmentFromRecipe(recipeToLoad));
    setFileMessage('Loaded the settings of a run from the history');
    setRecipeToLoad(null);
  }, [recipeToLoad, setRecipeToLoad, setAlignment]);
  // Models opened on the Load screen join the list (unticked ones stay out of the recipe).
  useEffect(() => {
    setForm((f) => {
      const have = new Set(f.models.map((m) => m.path));
      const added = loaded.filter((m) => !have.has(m.path)).map((m) => ({ path: m.path, weight: 1, use: true }));
      return added.length ? { ...f, models: [...f.models, ...added] } : f;
    });
  }, [loaded]);

  const method = methods.find((m) => m.id === form.method);
  const alignment = useStudio((s) => s.alignment);
  // a data-aware method's sample goes into the recipe only while such a method is chosen
  const recipe = useMemo(() => withAlignment(formToRecipe({ ...form, data: method?.needsData ? (form.data ?? DEFAULT_DATA) : undefined }), alignment), [form, alignment, method]);

  // YAML and pre-flight follow every change, a moment after the user stops typing.
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      setChecking(true);
      studio.recipeToYaml({ recipe }).then(
        (r) => { if (live) { setYaml(r.yaml); setRecipeError(null); } },
        (e: Error) => { if (live) { setYaml(''); setRecipeError(e.message); } },
      );
      studio.preflightMerge({ recipe }).then(
        (p) => { if (live) { setPreflight(p); setChecking(false); } },
        (e: Error) => { if (live) { setPreflight(null); setRecipeError(e.message); setChecking(false); } },
      );
    }, 350);
    return () => { live = false; clearTimeout(t); };
  }, [recipe]);

  const usedCount = form.models.filter((m) => m.use).length;
  const tensorNames = useMemo(() => preflight?.tensors.map((t) => t.name) ?? [], [preflight]);
  const groupList = useMemo(() => groupNames(tensorNames), [tensorNames]);
  const ruleOf = (match: string) => form.groups.find((g) => g.match === match);
  const setRule = (match: string, patch: Partial<{ action: GroupAction; from: number; weights: string[] }>) =>
    setForm((f) => {
      const cur = f.groups.find((g) => g.match === match) ?? { match, action: 'merge' as GroupAction, from: 0, weights: f.models.filter((m) => m.use).map(() => '1') };
      const next = { ...cur, ...patch };
      return { ...f, groups: [...f.groups.filter((g) => g.match !== match), next].sort((a, b) => groupList.indexOf(a.match) - groupList.indexOf(b.match)) };
    });

  // With no model ticked there is nothing to check yet: the models card guides instead of a list of errors.
  const nothingChosen = form.source === 'models' && usedCount === 0;
  const blocking = nothingChosen ? [] : recipeError ? [recipeError] : (preflight?.blocking ?? []).map(inScreenWords);
  const canRun = !checking && !!preflight && blocking.length === 0;

  async function run() {
    setRunError(null);
    try {
      const { jobId } = await studio.startJob({ kind: 'merge', params: { recipe } });
      setMergeJob(jobId);
      setStep('run');
    } catch (e) {
      setRunError(e instanceof Error ? e.message : String(e));
    }
  }

  async function saveRecipe() {
    setFileMessage(null);
    try { setFileMessage(`Saved ${(await studio.saveRecipe({ path: recipePath, recipe })).path}`); } catch (e) { setFileMessage((e as Error).message); }
  }
  async function loadRecipe() {
    setFileMessage(null);
    try {
      const r = await studio.loadRecipe({ path: recipePath });
      setForm((f) => recipeToForm(r.recipe, f));
      setAlignment(alignmentFromRecipe(r.recipe)); // the recipe runs as written, its alignment included
      setFileMessage(`Loaded ${recipePath}`);
    } catch (e) { setFileMessage((e as Error).message); }
  }

  return (
    <Screen title="Merge scheme" lead="Pick how to combine the weights — mean, weighted, task arithmetic, SLERP, TIES, DARE… — and per-layer rules.">
      <section className={card} aria-label="Models to merge">
        <div className="mb-2 flex items-center gap-4">
          <h2 className="font-medium">Models</h2>
          <label className="text-sm"><input type="radio" checked={form.source === 'models'} onChange={() => setForm({ ...form, source: 'models' })} /> files</label>
          <label className="text-sm"><input type="radio" checked={form.source === 'checkpoints'} onChange={() => setForm({ ...form, source: 'checkpoints' })} /> checkpoints of one run (a window of epochs)</label>
        </div>
        {form.source === 'models' ? (
          <>
            {form.models.length === 0 && (
              <Guide title="Nothing to merge yet" actions={[{ label: 'Open models', step: 'load' }, { label: 'Train models', step: 'train' }]}>
                A merge needs two or more models. Open them on the Load screen (or train some first); or choose
                “checkpoints of one run” above for the epochs of a training run, or load a saved recipe at the bottom of this page.
              </Guide>
            )}
            <ul className="space-y-1">
              {form.models.map((m, i) => (
                <li key={m.path} className="flex items-center gap-3 text-sm">
                  <input type="checkbox" checked={m.use} aria-label={`use ${m.path}`} onChange={(e) => setForm({ ...form, models: form.models.map((x, j) => (j === i ? { ...x, use: e.target.checked } : x)) })} />
                  <span className="flex-1 truncate font-mono text-xs" title={m.path} data-testid="scheme-model-name">{nameOf(m.path)}</span>
                  {m.parameters && <span className="text-xs text-slate-500" title="this model's own parameters">{formatParams(m.parameters)}</span>}
                  {m.path === form.base && <span className="rounded bg-indigo-50 px-1.5 text-xs text-indigo-700">base</span>}
                  {method?.usesWeights && (
                    <label>weight <input className={`${input} w-20`} type="number" step="any" value={m.weight} aria-label={`weight of ${m.path}`} onChange={(e) => setForm({ ...form, models: form.models.map((x, j) => (j === i ? { ...x, weight: Number(e.target.value) } : x)) })} /></label>
                  )}
                </li>
              ))}
            </ul>
          </>
        ) : (
          <div className="flex flex-wrap items-end gap-3 text-sm">
            <label className="flex flex-1 flex-col">Checkpoint folder<input className={input} value={form.checkpoints.dir} aria-label="Checkpoint folder" onChange={(e) => setForm({ ...form, checkpoints: { ...form.checkpoints, dir: e.target.value } })} /></label>
            <select className={input} aria-label="Checkpoint window" value={form.checkpoints.mode} onChange={(e) => setForm({ ...form, checkpoints: { ...form.checkpoints, mode: e.target.value as 'last' | 'range' } })}>
              <option value="last">the last k epochs</option><option value="range">epochs from … to …</option>
            </select>
            {form.checkpoints.mode === 'last'
              ? <label>k <input className={`${input} w-20`} type="number" min={1} value={form.checkpoints.last} aria-label="Last k epochs" onChange={(e) => setForm({ ...form, checkpoints: { ...form.checkpoints, last: Number(e.target.value) } })} /></label>
              : <>
                  <label>from <input className={`${input} w-20`} type="number" min={0} value={form.checkpoints.from} aria-label="From epoch" onChange={(e) => setForm({ ...form, checkpoints: { ...form.checkpoints, from: Number(e.target.value) } })} /></label>
                  <label>to <input className={`${input} w-20`} type="number" min={0} value={form.checkpoints.to} aria-label="To epoch" onChange={(e) => setForm({ ...form, checkpoints: { ...form.checkpoints, to: Number(e.target.value) } })} /></label>
                </>}
          </div>
        )}
        {(method?.needsBase || method?.acceptsBase) && (
          <BaseModelField required={method.needsBase} value={form.base} candidates={[...loaded.map((m) => m.path), ...form.models.map((m) => m.path)]}
            onChange={(base) => setForm((f) => ({ ...f, base, models: f.models.map((m) => (m.path === base ? { ...m, use: false } : m)) }))} />
        )}
      </section>

      <section className={card} aria-label="Method">
        <h2 className="mb-2 font-medium">Method</h2>
        <div className="grid gap-2 md:grid-cols-2" role="radiogroup" aria-label="Merge method">
          {methods.map((m) => (
            <label key={m.id} className={`cursor-pointer rounded border p-2 text-sm ${m.id === form.method ? 'border-indigo-500 bg-indigo-50' : 'border-slate-200'}`}>
              <input type="radio" name="method" className="mr-2" checked={m.id === form.method} aria-label={m.label}
                onChange={() => setForm((f) => ({ ...f, method: m.id, params: {} }))} />
              <span className="font-medium">{m.label}</span>
              <div className="mt-1 font-mono text-xs text-slate-700">{m.formula}</div>
              <div className="mt-1 text-xs text-slate-500">{m.whenToUse}</div>
            </label>
          ))}
        </div>
        {method?.needsData && (
          <DataSampleField value={form.data} models={form.models.filter((m) => m.use).map((m) => m.path)} onChange={(data) => setForm((f) => ({ ...f, data }))} />
        )}
        {method && method.params.length > 0 && (
          <div className="mt-4 grid gap-3 md:grid-cols-2" aria-label="Parameters">
            {method.params.map((p) => {
              const v = form.params[p.name] ?? p.default;
              const setV = (x: number | boolean | string) => setForm({ ...form, params: { ...form.params, [p.name]: x } });
              const about = <span><span className="font-medium">{p.name}</span> <span className="text-slate-500">— {p.description}</span></span>;
              // Switches (normalize) are checkboxes, named choices (rescale) drop-downs, numbers sliders.
              if (p.kind === 'boolean') {
                return (
                  <label key={p.name} className="flex items-start gap-2 text-sm">
                    <input type="checkbox" className="mt-1" checked={v === true} aria-label={p.name} onChange={(e) => setV(e.target.checked)} />
                    {about}
                  </label>
                );
              }
              if (p.kind === 'choice') {
                return (
                  <label key={p.name} className="flex flex-col text-sm">
                    {about}
                    <select className={`${input} w-40`} value={String(v)} aria-label={p.name} onChange={(e) => setV(e.target.value)}>
                      {(p.choices ?? []).map((c) => <option key={c} value={c}>{c}</option>)}
                    </select>
                  </label>
                );
              }
              return (
                <label key={p.name} className="flex flex-col text-sm">
                  {about}
                  <span className="flex items-center gap-2">
                    <input type="range" min={p.min} max={p.max} step={p.step} value={Number(v)} aria-label={`${p.name} slider`} onChange={(e) => setV(Number(e.target.value))} className="flex-1" />
                    <input type="number" min={p.bounded ? p.min : undefined} max={p.bounded ? p.max : undefined} step={p.step} value={Number(v)} aria-label={p.name} onChange={(e) => setV(Number(e.target.value))} className={`${input} w-24`} />
                  </span>
                </label>
              );
            })}
          </div>
        )}
        {(form.extraLayers?.length ?? 0) > 0 && (
          <div className="mt-3 text-sm" data-testid="extra-rules">
            <p className="text-slate-600">Layer rules of the loaded recipe, kept as they are (first match wins; edit them in the recipe file):</p>
            <ul className="font-mono text-xs">{form.extraLayers!.map((l, i) => <li key={i}>{JSON.stringify(l)}</li>)}</ul>
          </div>
        )}
      </section>

      {groupList.length > 0 && (
        <section className={card} aria-label="Per-layer rules">
          <h2 className="mb-1 font-medium">Per layer</h2>
          <p className="mb-2 text-xs text-slate-500">Merge a block, keep it from one model (e.g. a task-specific head), leave it out, or give it its own weights — "1, 0.5" is a gradient over the block's layers.</p>
          <table className="w-full text-sm">
            <thead><tr className="text-left text-slate-500"><th>Block</th><th>Tensors</th><th>Action</th><th /></tr></thead>
            <tbody>
              {groupList.map((g) => {
                const rule = ruleOf(g);
                const n = tensorNames.filter((t) => (g.endsWith('.*') ? t.startsWith(g.slice(0, -1)) : t === g)).length;
                const used = form.models.filter((m) => m.use);
                return (
                  <tr key={g} className="border-t border-slate-100" data-testid={`group-${g}`}>
                    <td className="py-1 font-mono">{g}</td>
                    <td>{n}</td>
                    <td>
                      <select className={input} aria-label={`action for ${g}`} value={rule?.action ?? 'merge'} onChange={(e) => setRule(g, { action: e.target.value as GroupAction })}>
                        <option value="merge">merge</option>
                        <option value="from">keep from one model</option>
                        <option value="exclude">leave out</option>
                        <option value="weights">own weights</option>
                      </select>
                    </td>
                    <td>
                      {rule?.action === 'from' && (
                        <select className={input} aria-label={`keep ${g} from`} value={rule.from} onChange={(e) => setRule(g, { from: Number(e.target.value) })}>
                          {used.map((m, i) => <option key={m.path} value={i} title={m.path}>{nameOf(m.path)}</option>)}
                        </select>
                      )}
                      {rule?.action === 'weights' && used.map((m, i) => (
                        <input key={m.path} className={`${input} mr-1 w-24 ${parseWeightText(rule.weights[i] ?? '') === null ? 'border-red-400' : ''}`} aria-label={`${g} weight for ${m.path.split(/[\\/]/).pop()}`}
                          value={rule.weights[i] ?? '1'} onChange={(e) => setRule(g, { weights: used.map((_, j) => (j === i ? e.target.value : rule.weights[j] ?? '1')) })} />
                      ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}

      <section className={card} aria-label="Output">
        <h2 className="mb-2 font-medium">Output</h2>
        <div className="flex gap-2 text-sm">
          {/* a new path has not been agreed to be replaced: the tick goes with the path it was given for */}
          <input className={`${input} flex-1`} value={form.output.path} aria-label="Output file" placeholder="empty: into the run's own folder" onChange={(e) => setForm({ ...form, output: { ...form.output, path: e.target.value, overwrite: false } })} />
          <select className={input} aria-label="Output dtype" value={form.output.dtype} onChange={(e) => setForm({ ...form, output: { ...form.output, dtype: e.target.value as SchemeForm['output']['dtype'] } })}>
            <option value="f32">f32</option><option value="f16">f16</option><option value="bf16">bf16</option><option value="f64">f64</option>
          </select>
        </div>
        {form.output.path.trim() && (
          <label className="mt-2 flex items-center gap-2 text-sm">
            <input type="checkbox" checked={form.output.overwrite === true} onChange={(e) => setForm({ ...form, output: { ...form.output, overwrite: e.target.checked } })} />
            Replace the existing file <span className="text-xs text-slate-500">(only if a file is already at this path; without the tick the merge never replaces one)</span>
          </label>
        )}
        <p className="mt-1 text-xs text-slate-500">.safetensors, .pt/.pth, or .onnx (keeps the first model's graph; needs ONNX inputs).</p>
      </section>

      <CheckPanel recipe={recipe} disabled={nothingChosen || !!recipeError} />

      <RecipeStepsList recipe={recipe} methods={methods} form={form} onForm={setForm} alignment={alignment} onAlignment={setAlignment} />

      <section className={card} aria-label="Pre-flight" data-testid="preflight">
        <h2 className="mb-2 font-medium">Pre-flight {checking && <span className="text-sm font-normal text-slate-500">checking…</span>}</h2>
        {blocking.length > 0 && (
          <ul className="mb-2 space-y-1 text-sm text-red-800" role="alert" data-testid="blocking">{blocking.map((b) => <li key={b}><span className="font-semibold">Blocked:</span> {b}</li>)}</ul>
        )}
        {nothingChosen && <p className="text-sm text-slate-600" data-testid="preflight-waiting">{form.models.length ? 'Tick the models to merge above; the check runs as soon as there are some.' : 'The check runs as soon as there are models to merge.'}</p>}
        {preflight && !nothingChosen && preflight.tensors.length > 0 && (
          <div className="text-sm">
            <p data-testid="preflight-summary">
              {formatCount(preflight.counts.merged)} tensors merged, {formatCount(preflight.counts.copied)} copied, {formatCount(preflight.counts.excluded)} left out
              {preflight.counts.tiedAliases ? `, ${preflight.counts.tiedAliases} tied names kept tied` : ''}.
              {' '}Output {formatBytes(preflight.output.bytes)} · peak memory about {formatBytes(preflight.peakMemoryBytes)} · about {preflight.estimatedSeconds < 1 ? '1 s' : `${Math.round(preflight.estimatedSeconds)} s`}.
            </p>
            {preflight.warnings.length > 0 && <ul className="mt-1 text-amber-800">{preflight.warnings.map((w) => <li key={w}><span className="font-semibold">Note:</span> {w}</li>)}</ul>}
            {preflight.tied.length > 0 && <p className="mt-1 text-slate-600">Tied: {preflight.tied.map((g) => g.join(' = ')).join('; ')}</p>}
          </div>
        )}
        <div className="mt-3 flex items-center justify-end gap-3">
          {runError && <span role="alert" className="text-sm text-red-700">{runError}</span>}
          <button type="button" disabled={!canRun || (form.source === 'models' && usedCount === 0)} onClick={() => void run()} className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-40">Run merge →</button>
        </div>
      </section>

      <section className={card} aria-label="Recipe">
        <h2 className="mb-2 font-medium">Recipe (what <code>merge-studio merge</code> runs)</h2>
        <pre className="max-h-64 overflow-auto rounded border border-slate-200 bg-slate-100 p-3 text-xs text-slate-900" data-testid="recipe-yaml">{yaml || '…'}</pre>
        <div className="mt-2 flex flex-wrap gap-2 text-sm">
          <input className={`${input} flex-1`} placeholder="recipe file path (.yaml)" aria-label="Recipe file" value={recipePath} onChange={(e) => setRecipePath(e.target.value)} />
          <button type="button" className="rounded border px-3" disabled={!recipePath} onClick={() => void saveRecipe()}>Save recipe</button>
          <button type="button" className="rounded border px-3" disabled={!recipePath} onClick={() => void loadRecipe()}>Load recipe</button>
          <button type="button" className="rounded border px-3" onClick={() => void studio.exportMergekit({ recipe }).then((r) => setMergekit({ text: r.yaml, dropped: r.dropped }), (e: Error) => setFileMessage(e.message))}>Export mergekit</button>
          {/* one import, from a file or pasted text; what the config holds that the recipe cannot is listed below */}
          <MergekitImport initialPath={recipePath} onImported={(r) => { setForm((f) => recipeToForm(r.recipe, f)); setImportNotes(r.dropped); setFileMessage(r.message); }} />
        </div>
        {fileMessage && <p className="mt-1 text-sm text-slate-700" role="status">{fileMessage}</p>}
        {importNotes.length > 0 && <ul className="text-xs text-amber-800" data-testid="mergekit-not-carried">{importNotes.map((d) => <li key={d}>not carried over: {d}</li>)}</ul>}
        {mergekit && (
          <div className="mt-2">
            <textarea readOnly className="h-40 w-full rounded border font-mono text-xs" aria-label="mergekit YAML" value={mergekit.text} />
            {mergekit.dropped.length > 0 && <ul className="text-xs text-amber-800">{mergekit.dropped.map((d) => <li key={d}>not carried over: {d}</li>)}</ul>}
          </div>
        )}
      </section>
    </Screen>
  );
}
