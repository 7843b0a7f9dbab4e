// Train: built-in architectures on built-in or the user's data, checkpoints kept per epoch, pairs from one
// initialisation (optionally coupled), with live loss/accuracy charts, throughput, ETA and Cancel.
import type React from 'react';
import { useEffect, useMemo, useState } from 'react';
import type { CallResult } from '../../../main/engine/api';
import { trainingCurveSpec } from '../../../main/engine/charts/training';
import type { TrainRequest } from '../../../main/engine/train/options-schema';
import { studio } from '../api/studio';
import { JobProgress } from '../components/JobProgress';
import { Screen } from '../components/Screen';
import { VegaChart } from '../components/VegaChart';
import { useStudio, type TrainForm } from '../state/store';

type Choices = CallResult<'trainingChoices'>;

const LOSS_SPEC = trainingCurveSpec('Loss', 'cross-entropy');
const ACC_SPEC = trainingCurveSpec('Accuracy', 'accuracy');
const TASKS = ['', 'subset:0-4', 'subset:5-9', 'rotate:90', 'invert', 'color-bg'];
/** The architecture choice that fine-tunes the user's own ONNX model instead of a built-in one. */
const OWN_MODEL = '__own_onnx__';

function Field({ label, children, hint }: { label: string; children: React.ReactNode; hint?: string }) {
  return (
    <label className="flex flex-col gap-1 text-sm">
      <span className="text-slate-700">{label}</span>
      {children}
      {hint && <span className="text-xs text-slate-500">{hint}</span>}
    </label>
  );
}
const input = 'rounded border border-slate-300 bg-white px-2 py-1';

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export function TrainScreen() {
  const env = useStudio((s) => s.environment);
  const jobs = useStudio((s) => s.jobs);
  const training = useStudio((s) => s.training);
  const logs = useStudio((s) => s.logs);
  const [choices, setChoices] = useState<Choices | null>(null);
  // The form and the job it started live in the store: they survive navigation, reloads and restarts (persist.ts).
  const form = useStudio((s) => s.trainForm);
  const setTrainForm = useStudio((s) => s.setTrainForm);
  const jobId = useStudio((s) => s.trainJobId);
  const setJobId = useStudio((s) => s.setTrainJob);
  const [error, setError] = useState<string | null>(null);
  const set = <K extends keyof TrainForm>(k: K, v: TrainForm[K]) => setTrainForm({ ...useStudio.getState().trainForm, [k]: v });

  useEffect(() => { studio.trainingChoices({}).then(setChoices, (e: Error) => setError(e.message)); }, []);
  const arch = choices?.architectures.find((a) => a.id === form.arch);
  const defaultOut = env ? `${env.workspace}/runs/${stamp()}-train-${form.arch === OWN_MODEL ? 'finetune' : form.arch}` : '';

  function request(task: string, outDir: string): TrainRequest {
    const spec = task ? `${form.dataset}${form.dataset.includes('?') ? '&' : '?'}task=${task}` : form.dataset;
    const evalSpec = form.evalDataset ? (task ? `${form.evalDataset}${form.evalDataset.includes('?') ? '&' : '?'}task=${task}` : form.evalDataset) : undefined;
    const own = form.arch === OWN_MODEL;
    return {
      ...(own ? { modelFile: form.modelFile } : { arch: form.arch }),
      ...(arch?.options.includes('hidden') && form.hidden.trim() ? { hidden: form.hidden.split(',').map((x) => Number(x.trim())) } : {}),
      ...(arch?.options.includes('width') && form.width ? { width: Number(form.width) } : {}),
      dataset: spec,
      ...(evalSpec ? { evalDataset: evalSpec } : {}),
      epochs: form.epochs, batchSize: form.batchSize, optimizer: form.optimizer, lr: form.lr,
      ...(form.optimizer === 'sgd' ? { momentum: form.momentum, nesterov: form.nesterov } : {}),
      ...(form.weightDecay ? { weightDecay: form.weightDecay } : {}),
      schedule: form.schedule === 'cosine' ? { type: 'cosine' } : form.schedule === 'step' ? { type: 'step', stepSize: Math.max(1, Math.ceil(form.epochs / 3)), gamma: 0.1 } : { type: 'constant' },
      seed: form.seed, keepFrom: form.keepFrom,
      provider: form.provider as TrainRequest['provider'],
      ...(form.threads > 0 ? { threads: form.threads } : {}),
      outDir,
    };
  }

  async function start() {
    setError(null);
    const out = form.outDir.trim() || defaultOut;
    try {
      const r = form.pair
        ? await studio.startJob({
            kind: 'train-pair',
            params: { a: request(form.task, `${out}-A`), b: request(form.taskB, `${out}-B`), ...(form.coupleLambda > 0 ? { coupling: { lambda: form.coupleLambda } } : {}) },
          })
        : await studio.startJob({ kind: 'train', params: request(form.task, out) });
      setJobId(r.jobId);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  const job = jobId ? jobs[jobId] : undefined;
  const live = jobId ? training[jobId] : undefined;
  const running = job?.status === 'running' || job?.status === 'queued';
  const trained = job?.status === 'succeeded' && (live?.checkpoints.length ?? 0) > 0;
  const { addModel, addLoadError, setStep } = useStudio();
  const [opening, setOpening] = useState(false);
  // The checkpoints this run kept, opened on the Load screen: the way on to merging them.
  async function openCheckpoints() {
    setOpening(true);
    for (const c of live?.checkpoints ?? []) {
      try { addModel(await studio.openModel({ path: c.path })); } catch (e) { addLoadError(c.path, (e as Error).message); }
    }
    setOpening(false);
    setStep('load');
  }
  const lossPoints = useMemo(() => live?.loss ?? [], [live]);
  const accPoints = useMemo(() => live?.accuracy ?? [], [live]);

  return (
    <Screen title="Train" lead="No models yet? Train built-in architectures on built-in or your own data, keeping a checkpoint per epoch." next={trained ? { step: 'load', label: 'Load the trained models' } : undefined}>
      <form className="grid grid-cols-2 gap-3 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-4" onSubmit={(e) => { e.preventDefault(); void start(); }} aria-label="Training settings">
        <Field label="Architecture" hint={arch?.layers}>
          <select className={input} value={form.arch} onChange={(e) => set('arch', e.target.value)}>
            {(choices?.architectures ?? [{ id: 'smallcnn', label: 'SmallCNN' }]).map((a) => <option key={a.id} value={a.id}>{a.label}</option>)}
            <option value={OWN_MODEL}>My ONNX model (fine-tune)…</option>
          </select>
        </Field>
        {form.arch === OWN_MODEL && (
          <Field label="ONNX model file" hint="every op needs a backward rule; otherwise the error lists the ones that do not">
            <input className={input} value={form.modelFile} aria-label="ONNX model file" onChange={(e) => set('modelFile', e.target.value)} />
          </Field>
        )}
        {arch?.options.includes('hidden') && <Field label="Hidden widths"><input className={input} value={form.hidden} placeholder={form.arch === 'vgg' ? 'default 128,128' : 'default 512,512'} onChange={(e) => set('hidden', e.target.value)} /></Field>}
        {arch?.options.includes('width') && <Field label="Width"><input className={input} type="number" min={1} value={form.width} placeholder="default" onChange={(e) => set('width', e.target.value)} /></Field>}
        <Field label="Dataset">
          <input className={input} list="dataset-specs" value={form.dataset} onChange={(e) => set('dataset', e.target.value)} />
          <datalist id="dataset-specs">{choices?.datasets.flatMap((d) => d.builtins).map((b) => <option key={b.spec} value={b.spec}>{b.description}</option>)}</datalist>
        </Field>
        <Field label="Task (domain)">
          <select className={input} value={form.task} onChange={(e) => set('task', e.target.value)}>
            {TASKS.map((t) => <option key={t} value={t}>{t || 'as is'}</option>)}
          </select>
        </Field>
        <Field label="Evaluate on"><input className={input} value={form.evalDataset} onChange={(e) => set('evalDataset', e.target.value)} /></Field>
        <Field label="Epochs"><input className={input} type="number" min={1} value={form.epochs} onChange={(e) => set('epochs', Number(e.target.value))} /></Field>
        <Field label="Batch size"><input className={input} type="number" min={1} value={form.batchSize} onChange={(e) => set('batchSize', Number(e.target.value))} /></Field>
        <Field label="Optimizer">
          <select className={input} value={form.optimizer} onChange={(e) => set('optimizer', e.target.value as TrainRequest['optimizer'])}>
            <option value="sgd">SGD</option><option value="adam">Adam</option><option value="adamw">AdamW</option>
          </select>
        </Field>
        <Field label="Learning rate"><input className={input} type="number" step="any" min={0} value={form.lr} onChange={(e) => set('lr', Number(e.target.value))} /></Field>
        {form.optimizer === 'sgd' && <Field label="Momentum"><input className={input} type="number" step="any" min={0} max={1} value={form.momentum} onChange={(e) => set('momentum', Number(e.target.value))} /></Field>}
        {form.optimizer === 'sgd' && <label className="flex items-center gap-2 text-sm"><input type="checkbox" checked={form.nesterov} onChange={(e) => set('nesterov', e.target.checked)} /> Nesterov</label>}
        <Field label="Weight decay"><input className={input} type="number" step="any" min={0} value={form.weightDecay} onChange={(e) => set('weightDecay', Number(e.target.value))} /></Field>
        <Field label="Schedule">
          <select className={input} value={form.schedule} onChange={(e) => set('schedule', e.target.value)}>
            <option value="constant">constant</option><option value="step">step (×0.1 every third)</option><option value="cosine">cosine</option>
          </select>
        </Field>
        <Field label="Seed"><input className={input} type="number" value={form.seed} onChange={(e) => set('seed', Number(e.target.value))} /></Field>
        <Field label="Keep checkpoints from epoch" hint="every epoch from this one on"><input className={input} type="number" min={1} value={form.keepFrom} onChange={(e) => set('keepFrom', Number(e.target.value))} /></Field>
        <Field label="Execution provider">
          <select className={input} value={form.provider} onChange={(e) => set('provider', e.target.value)}>
            {(env?.providers ?? ['cpu']).map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </Field>
        <Field label="Threads" hint="0 = all cores"><input className={input} type="number" min={0} value={form.threads} onChange={(e) => set('threads', Number(e.target.value))} /></Field>
        <div className="col-span-2 md:col-span-4">
          <Field label="Output folder"><input className={input} value={form.outDir} placeholder={defaultOut} aria-label="Output folder" onChange={(e) => set('outDir', e.target.value)} /></Field>
        </div>
        <div className="col-span-2 flex flex-wrap items-end gap-3 rounded border border-dashed border-slate-300 p-3 md:col-span-4">
          <label className="flex items-center gap-2 text-sm"><input type="checkbox" checked={form.pair} onChange={(e) => set('pair', e.target.checked)} /> Train a pair from the same initialisation</label>
          {form.pair && (
            <>
              <Field label="Second model's task">
                <select className={input} value={form.taskB} onChange={(e) => set('taskB', e.target.value)}>
                  {TASKS.map((t) => <option key={t} value={t}>{t || 'as is'}</option>)}
                </select>
              </Field>
              <Field label="Coupling λ" hint="adds λ‖w_A − w_B‖²; 0 = independent"><input className={input} type="number" step="any" min={0} value={form.coupleLambda} onChange={(e) => set('coupleLambda', Number(e.target.value))} /></Field>
            </>
          )}
        </div>
        <div className="col-span-2 flex justify-end md:col-span-4">
          <button type="submit" disabled={running} className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-50">Start training</button>
        </div>
      </form>
      {error && <p role="alert" className="text-red-700">{error}</p>}
      {job && <JobProgress job={job} outcome={trained ? `Done: ${live!.checkpoints.length} checkpoint${live!.checkpoints.length === 1 ? '' : 's'} kept` : undefined} />}
      {trained && (
        <div className="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm" data-testid="trained">
          <span className="text-emerald-900">Training finished. Open its checkpoints to look at them, then average or merge them.</span>
          <button type="button" disabled={opening} onClick={() => void openCheckpoints()} className="rounded bg-emerald-700 px-3 py-1.5 font-medium text-white disabled:opacity-50">
            Open the {live!.checkpoints.length} checkpoint{live!.checkpoints.length === 1 ? '' : 's'} →
          </button>
        </div>
      )}
      {job && live?.examplesPerSecond != null && running && <p className="text-sm text-slate-600" data-testid="throughput">{Math.round(live.examplesPerSecond).toLocaleString('en')} examples/s</p>}
      {job && (
        <div className="grid gap-4 md:grid-cols-2">
          <div className="rounded-lg border border-slate-200 bg-white p-2"><VegaChart spec={LOSS_SPEC} points={lossPoints} label="loss" /></div>
          <div className="rounded-lg border border-slate-200 bg-white p-2"><VegaChart spec={ACC_SPEC} points={accPoints} label="accuracy" /></div>
        </div>
      )}
      {live && live.epochs.length > 0 && (
        <table className="w-full rounded-lg border border-slate-200 bg-white text-sm" aria-label="Epochs">
          <thead><tr className="bg-slate-50 text-left"><th className="p-2">Run</th><th>Epoch</th><th>Loss</th><th>Train acc.</th><th>Test acc.</th><th>Seconds</th></tr></thead>
          <tbody>
            {live.epochs.map((e, i) => (
              <tr key={i} className="border-t border-slate-100">
                <td className="p-2">{String(e.run ?? 'a').toUpperCase()}</td><td>{String(e.epoch)}</td><td>{Number(e.loss).toFixed(4)}</td>
                <td>{(100 * Number(e.accuracy)).toFixed(2)} %</td><td>{typeof e.evalAccuracy === 'number' ? `${(100 * e.evalAccuracy).toFixed(2)} %` : '—'}</td><td>{Number(e.seconds).toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {live && live.checkpoints.length > 0 && (
        <div className="rounded-lg border border-slate-200 bg-white p-3 text-sm" data-testid="checkpoints">
          <div className="mb-1 font-medium">Checkpoints</div>
          <ul className="font-mono text-xs">{live.checkpoints.map((c) => <li key={c.path}>{c.run} · epoch {c.epoch} · {c.path}</li>)}</ul>
        </div>
      )}
      {jobId && (logs[jobId]?.length ?? 0) > 0 && <pre className="max-h-40 overflow-auto rounded border border-slate-200 bg-slate-100 p-3 text-xs text-slate-900">{logs[jobId].join('\n')}</pre>}
    </Screen>
  );
}
