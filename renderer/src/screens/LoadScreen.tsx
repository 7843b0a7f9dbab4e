// Load: open model files, see each one's tensors, shapes, dtypes, tied weights, statistics and graph.
import { useEffect, useMemo, useState } from 'react';
import type React from 'react';
import type { LoadedModel } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { FileBrowser } from '../components/FileBrowser';
import { formatBytes, formatCount } from '../components/format';
import { GraphView } from '../components/GraphView';
import { useModelNames } from '../components/modelNames';
import { Screen } from '../components/Screen';
import { WeightsOnlyGraph } from '../components/WeightsOnlyGraph';
import { forwardFrom } from '../navigation';
import { Link2 } from 'lucide-react';
import { TensorStatsPanel } from '../components/TensorStatsPanel';
import { TensorTable, type TensorRowView } from '../components/TensorTable';
import { useStudio } from '../state/store';
import { useDroppedCopies } from './load/useDroppedCopies';

export function LoadScreen() {
  const { models, loadErrors, selectedModelId, addModel, addLoadError, removeModel, selectModel, setStep, setRecipeToLoad } = useStudio();
  const nameOf = useModelNames(models.map((m) => m.path));
  const [recipeReady, setRecipeReady] = useState<string | null>(null);
  const [browsing, setBrowsing] = useState(false);
  const [typedPath, setTypedPath] = useState('');
  const [busy, setBusy] = useState(0);

  async function openPaths(paths: string[]) {
    setBrowsing(false);
    for (const path of paths) {
      setBusy((b) => b + 1);
      try {
        addModel(await studio.openModel({ path }));
      } catch (e) {
        addLoadError(path, e instanceof Error ? e.message : String(e));
      } finally {
        setBusy((b) => b - 1);
      }
    }
  }

  async function pick(directory = false) {
    const r = await studio.pickFiles({ title: directory ? 'Open a model folder' : 'Open models', ...(directory ? { directory } : {}) });
    if (r.available) void openPaths(r.paths);
    else setBrowsing(true);
  }

  // Desktop app: preload posts the paths of dropped files. A browser never learns where a dropped file lives:
  // there the file is copied into the workspace's imports folder and that copy is opened.
  const browser = !window.studio;
  const dropped = useDroppedCopies({
    openModel: (path) => openPaths([path]),
    openRecipe: async (path) => {
      const r = await studio.loadRecipe({ path });
      setRecipeToLoad(r.recipe);
      setRecipeReady(path.split(/[\\/]/).pop() ?? path);
    },
    fail: (name, message) => addLoadError(name, message),
  });
  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      if (e.source !== window || e.data?.type !== 'merge-studio:dropped-paths' || !Array.isArray(e.data.paths)) return;
      void openPaths(e.data.paths.filter((p: unknown): p is string => typeof p === 'string'));
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  });
  const onDrop = (e: React.DragEvent) => {
    e.preventDefault();
    if (browser) dropped.take(e.dataTransfer);
  };

  const selected = models.find((m) => m.modelId === selectedModelId) ?? null;
  return (
    <Screen title="Load models" lead="Open PyTorch, safetensors or ONNX files and see every parameter, shape, dtype and tied weight." next={models.length ? forwardFrom('load') : undefined}>
      <div onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="drop-zone"
        className="rounded-lg border-2 border-dashed border-slate-300 bg-white p-3 text-center text-sm text-slate-600">
        {browser
          ? <>Drop model files (.pt, .pth, .bin, .ckpt, .safetensors, .onnx) or a recipe (.yaml) here. Each is copied into the workspace&apos;s imports folder and opened from there.</>
          : 'Drop model files or Hugging Face model folders here (.pt, .pth, .bin, .ckpt, .safetensors, .onnx)'}
        {dropped.busy > 0 && <p className="mt-1" role="status">Copying into the workspace&apos;s imports folder…</p>}
      </div>
      {dropped.copies.length > 0 && (
        <ul className="text-sm text-slate-600" aria-label="Copied files" data-testid="dropped-copies">
          {dropped.copies.map((c) => <li key={c.path} title={c.path}>{c.name}: copied into the workspace&apos;s imports folder ({c.path})</li>)}
        </ul>
      )}
      {recipeReady && (
        <p className="text-sm" role="status" data-testid="dropped-recipe">
          The recipe {recipeReady} is ready on the Scheme step.{' '}
          <button type="button" className="font-medium text-indigo-700 underline" onClick={() => setStep('scheme')}>Open the Scheme step</button>
        </p>
      )}
      <div className="flex flex-wrap items-center gap-2">
        <button type="button" onClick={() => void pick()} className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700">Open files…</button>
        <button type="button" onClick={() => void pick(true)} className="rounded-md border border-indigo-600 px-4 py-2 font-medium text-indigo-700 hover:bg-indigo-50" title="A Hugging Face model folder (config.json beside model.safetensors, a sharded index or pytorch_model.bin), or a Hugging Face cache folder">Open model folder…</button>
        <form className="flex flex-1 gap-2" onSubmit={(e) => { e.preventDefault(); if (typedPath.trim()) void openPaths([typedPath.trim()]); setTypedPath(''); }}>
          <input value={typedPath} onChange={(e) => setTypedPath(e.target.value)} placeholder="…or type a file or model folder path" aria-label="Model file path" className="flex-1 rounded border border-slate-300 bg-white px-2 py-2 text-sm" />
          <button type="submit" className="rounded border border-slate-300 px-3 text-sm hover:bg-slate-100">Open</button>
        </form>
        {busy > 0 && <span className="text-sm text-slate-600">Opening…</span>}
      </div>
      {browsing && <FileBrowser onOpen={(p) => void openPaths(p)} onOpenFolder={(d) => void openPaths([d])} onClose={() => setBrowsing(false)} />}
      {models.length >= 2 && (
        <p className="text-sm text-slate-600" data-testid="align-hint">
          Checkpoints of one training run average as they are. Models trained from different seeds need their hidden units lined up first:{' '}
          <button type="button" className="font-medium text-indigo-700 underline" onClick={() => setStep('align')}>align them (step 2)</button>.
        </p>
      )}
      {loadErrors.map((e) => (
        <div key={e.path} role="alert" className="rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-800" data-testid="load-error">
          <div className="font-medium">Could not open {e.path.split(/[\\/]/).pop()}</div>
          <div>{e.error}</div>
        </div>
      ))}
      {models.length > 0 && (
        <ul className="flex flex-wrap gap-2" aria-label="Open models">
          {models.map((m) => (
            <li key={m.modelId}>
              <button type="button" onClick={() => selectModel(m.modelId)} aria-pressed={m.modelId === selectedModelId}
                className={`rounded-lg border px-3 py-2 text-left text-sm ${m.modelId === selectedModelId ? 'border-indigo-500 bg-indigo-50' : 'border-slate-200 bg-white'}`}>
                <div className="font-medium" title={m.path} data-testid="open-model-name">{nameOf(m.path)}</div>
                <div className="text-slate-600">{m.inspection.format} · {formatCount(m.inspection.parameterCount)} params</div>
              </button>
              <button type="button" aria-label={`Close ${m.fileName}`} className="ml-1 text-xs text-slate-600 underline hover:text-red-700" onClick={() => { void studio.closeModel({ modelId: m.modelId }); removeModel(m.modelId); }}>close</button>
            </li>
          ))}
        </ul>
      )}
      {selected && <ModelDetails model={selected} />}
    </Screen>
  );
}

function ModelDetails({ model }: { model: LoadedModel }) {
  const info = model.inspection;
  const [tab, setTab] = useState<'tensors' | 'graph'>('tensors');
  const [picked, setPicked] = useState<string | null>(null);
  const rows = useMemo<TensorRowView[]>(() => {
    const tiedTo = new Map<string, string>();
    for (const g of info.tied) for (const n of g) tiedTo.set(n, g.filter((x) => x !== n).join(', '));
    return info.tensors.map((t) => ({ ...t, elements: t.shape.reduce((a, b) => a * b, 1), tiedWith: tiedTo.get(t.name) ?? null }));
  }, [info]);
  const mix = Object.entries(info.dtypeMix).map(([d, n]) => `${d} ${((100 * n) / Math.max(1, info.parameterCount)).toFixed(0)}%`).join(', ');
  return (
    <div className="space-y-4" data-testid="model-details">
      <dl className="grid grid-cols-2 gap-x-6 gap-y-1 rounded-lg border border-slate-200 bg-white p-4 text-sm md:grid-cols-4">
        <dt className="text-slate-600">Format</dt><dd data-testid="model-format">{info.format}</dd>
        <dt className="text-slate-600">Parameters</dt><dd data-testid="model-params">{formatCount(info.parameterCount)}</dd>
        <dt className="text-slate-600">Size</dt><dd>{formatBytes(info.byteSize)} of weights · {formatBytes(info.fileSize)} on disk</dd>
        <dt className="text-slate-600">Dtypes</dt><dd data-testid="model-dtypes">{mix || '—'}</dd>
        <dt className="text-slate-600">File</dt><dd className="col-span-3 truncate font-mono text-xs">{model.path}</dd>
      </dl>
      {(info.damaged?.length ?? 0) > 0 && (
        <ul role="alert" className="rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-800" aria-label="Damaged" data-testid="model-damaged">
          {info.damaged!.map((d) => <li key={d}>Damaged: {d}</li>)}
        </ul>
      )}
      {info.notes.length > 0 && (
        <ul className="rounded-lg border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" aria-label="Notes">
          {info.notes.map((n) => <li key={n}>{n}</li>)}
        </ul>
      )}
      {info.tied.length > 0 && (
        <div className="rounded-lg border border-slate-200 bg-white p-3 text-sm" data-testid="tied-groups">
          <div className="mb-1 font-medium">Tied weights (one storage, several names)</div>
          <ul>{info.tied.map((g) => <li key={g.join()} className="flex items-center gap-1.5 font-mono"><Link2 aria-hidden className="size-4 shrink-0 text-slate-500" />{g.join(' = ')}</li>)}</ul>
        </div>
      )}
      <div role="tablist" className="flex gap-2">
        <button type="button" role="tab" aria-selected={tab === 'tensors'} onClick={() => setTab('tensors')} className={`rounded px-3 py-1 ${tab === 'tensors' ? 'bg-slate-800 text-white' : 'bg-slate-200'}`}>Tensors</button>
        <button type="button" role="tab" aria-selected={tab === 'graph'} onClick={() => setTab('graph')} className={`rounded px-3 py-1 ${tab === 'graph' ? 'bg-slate-800 text-white' : 'bg-slate-200'}`}>Graph</button>
        {!info.graph && <span className="self-center text-xs text-slate-600">weights only: pick a graph to show on the Graph tab</span>}
      </div>
      {tab === 'tensors' && (
        <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_18rem]">
          <TensorTable rows={rows} selected={picked} onSelect={setPicked} />
          {picked ? <TensorStatsPanel modelId={model.modelId} name={picked} /> : <p className="text-sm text-slate-600">Click a tensor to see its statistics.</p>}
        </div>
      )}
      {tab === 'graph' && (info.graph ? <GraphView graph={info.graph} /> : <WeightsOnlyGraph key={model.modelId} model={model} />)}
    </div>
  );
}
