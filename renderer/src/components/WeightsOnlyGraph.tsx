// The Graph tab for a file that holds weights only (PyTorch, safetensors): why there is no graph, and two
// ways to see one — the built-in architecture that fits the file's tensors (found by the engine), another
// built-in architecture, or the graph of an ONNX file the user picks.
import { useEffect, useState } from 'react';
import { Network } from 'lucide-react';
import type { CallResult, LoadedModel } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { GraphView } from './GraphView';
import { useFilePicker } from './useFilePicker';

type Graph = NonNullable<LoadedModel['inspection']['graph']>;
interface Shown { graph: Graph; note: string; matches: boolean }

/** How many of the file's tensor names the graph uses (as initializers). */
export function sharedNames(model: LoadedModel, graph: Graph): number {
  const used = new Set(graph.nodes.flatMap((n) => n.inputs));
  return model.inspection.tensors.filter((t) => used.has(t.name)).length;
}

export function WeightsOnlyGraph({ model }: { model: LoadedModel }) {
  const [archs, setArchs] = useState<CallResult<'trainingChoices'>['architectures']>([]);
  const [arch, setArch] = useState('');
  const [shown, setShown] = useState<Shown | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fitChecked, setFitChecked] = useState(false);

  useEffect(() => {
    let live = true;
    studio.trainingChoices({}).then((c) => live && setArchs(c.architectures), () => {});
    // The architecture whose tensors are exactly this file's, if a built-in one is: shown at once.
    studio.architectureGraph({ modelId: model.modelId }).then((r) => {
      if (!live) return;
      setFitChecked(true);
      if (r.graph && r.arch) { setArch(r.arch); setShown({ graph: r.graph, note: r.note, matches: r.matches }); }
    }, (e: Error) => live && setError(e.message));
    return () => { live = false; };
  }, [model.modelId]);

  const showArch = (id: string) => {
    setArch(id);
    setError(null);
    if (!id) { setShown(null); return; }
    studio.architectureGraph({ modelId: model.modelId, arch: id }).then((r) => r.graph && setShown({ graph: r.graph, note: r.note, matches: r.matches }), (e: Error) => setError(e.message));
  };
  const picker = useFilePicker({
    title: 'Choose an ONNX graph',
    accept: (name) => name.toLowerCase().endsWith('.onnx'),
    onPick: (path) => {
      setError(null);
      studio.openModel({ path }).then((m) => {
        void studio.closeModel({ modelId: m.modelId });
        const g = m.inspection.graph;
        if (!g) { setError(`${m.fileName} has no graph (it is ${m.inspection.format}); choose an .onnx file`); return; }
        const n = sharedNames(model, g);
        const all = model.inspection.tensors.length;
        setArch('');
        setShown({ graph: g, matches: n === all, note: `The graph of ${m.fileName}: ${n} of this file's ${all} tensor names are its weights${n === all ? '' : n ? ' (the others are not in it)' : ' — it is not this model\'s graph'}.` });
      }, (e: Error) => setError(e.message));
    },
  });

  return (
    <div className="space-y-3" data-testid="weights-only-graph">
      <div className="flex gap-3 rounded-lg border border-slate-200 bg-white p-4 text-sm">
        <Network aria-hidden className="mt-0.5 size-5 shrink-0 text-indigo-700" />
        <div className="flex-1 space-y-3">
          <p data-testid="no-graph-reason">
            A {model.inspection.format === 'pytorch' ? 'PyTorch' : model.inspection.format} file holds the weights only, not the graph of operations that uses them, so
            there is nothing to draw from {model.fileName} alone.
            {fitChecked && !shown && ' No built-in architecture has exactly its tensors.'} Show one of these instead:
          </p>
          <div className="flex flex-wrap items-center gap-3">
            <label className="flex items-center gap-2">
              Built-in architecture
              <select className="rounded border border-slate-300 bg-white px-2 py-1" value={arch} onChange={(e) => showArch(e.target.value)}>
                <option value="">— choose —</option>
                {archs.map((a) => <option key={a.id} value={a.id}>{a.label}</option>)}
              </select>
            </label>
            <span className="text-slate-600">or</span>
            <button type="button" onClick={picker.start} className="rounded border border-slate-300 px-3 py-1 hover:bg-slate-100">Open an ONNX graph…</button>
          </div>
          {picker.browser}
          {error && <p role="alert" className="text-red-700">{error}</p>}
          {shown && <p data-testid="graph-note" className={shown.matches ? 'text-emerald-800' : 'text-amber-800'}>{shown.note}</p>}
        </div>
      </div>
      {shown && <GraphView graph={shown.graph} />}
    </div>
  );
}
