// The models to compare: typed paths, the file browser (a native dialog where there is one), or files the
// workspace's runs wrote (checkpoints, trained models, merges). Bare weights name their architecture here.
import { useEffect, useState } from 'react';
import type { CallResult } from '../../../../main/engine/api';
import { studio } from '../../api/studio';
import { FileBrowser } from '../../components/FileBrowser';
import { useModelNames } from '../../components/modelNames';
import type { CompareModel } from '../../state/store';
import { baseName, input, secondary } from './ui';

const ARCHS = ['smallcnn', 'mlp', 'vgg', 'resnet'];

export function ModelPicker({ models, onChange }: { models: CompareModel[]; onChange: (m: CompareModel[]) => void }) {
  const [path, setPath] = useState('');
  const [browsing, setBrowsing] = useState(false);
  const [runs, setRuns] = useState<CallResult<'listRuns'>>([]);
  const add = (paths: string[]) => onChange([...models, ...paths.filter((p) => p && !models.some((m) => m.path === p)).map((p) => ({ path: p }))]);
  useEffect(() => { studio.listRuns({}).then(setRuns, () => setRuns([])); }, []);
  const fromRuns = runs.flatMap((r) => r.outputs.filter((o) => /\.(onnx|safetensors|pt|pth|bin|ckpt)$/i.test(o)).map((o) => ({ file: o, run: r })));
  const nameOf = useModelNames(models.map((m) => m.path));
  const runFileName = useModelNames(fromRuns.map((f) => f.file));

  async function browse() {
    const r = await studio.pickFiles({ title: 'Models to compare' }).catch(() => ({ available: false, paths: [] as string[] }));
    if (r.available) add(r.paths);
    else setBrowsing(true);
  }

  return (
    <div className="space-y-3">
      <ul className="divide-y divide-slate-100 rounded border border-slate-200" aria-label="Models to compare">
        {models.length === 0 && <li className="px-3 py-2 text-sm text-slate-500">No model yet: add files below, or pick what your runs wrote.</li>}
        {models.map((m, i) => (
          <li key={m.path} className="flex flex-wrap items-center gap-2 px-3 py-2 text-sm">
            <span className="font-medium" title={m.path} data-testid="compare-model-name">{nameOf(m.path)}</span>
            <code className="flex-1 truncate text-xs text-slate-500" title={m.path}>{m.path}</code>
            <select className={input} aria-label={`architecture of ${baseName(m.path)}`} value={m.arch ?? ''} onChange={(e) => onChange(models.map((x, j) => (j === i ? { ...x, arch: e.target.value || undefined } : x)))}>
              <option value="">architecture as stored</option>
              {ARCHS.map((a) => <option key={a} value={a}>{a}</option>)}
            </select>
            <button type="button" className={secondary} aria-label={`remove ${baseName(m.path)}`} onClick={() => onChange(models.filter((_, j) => j !== i))}>Remove</button>
          </li>
        ))}
      </ul>
      <div className="flex flex-wrap items-center gap-2">
        <input className={`${input} min-w-80 flex-1`} aria-label="Model to compare" placeholder="/path/to/model.onnx, checkpoint.safetensors, weights.pt…" value={path} onChange={(e) => setPath(e.target.value)}
          onKeyDown={(e) => { if (e.key === 'Enter' && path.trim()) { add([path.trim()]); setPath(''); } }} />
        <button type="button" className={secondary} disabled={!path.trim()} onClick={() => { add([path.trim()]); setPath(''); }}>Add</button>
        <button type="button" className={secondary} onClick={() => void browse()}>Browse…</button>
        {fromRuns.length > 0 && (
          <select className={input} aria-label="Add a model from the run history" value="" onChange={(e) => e.target.value && add([e.target.value])}>
            <option value="">From the run history…</option>
            {fromRuns.map(({ file }) => <option key={file} value={file} title={file}>{runFileName(file)}</option>)}
          </select>
        )}
      </div>
      {browsing && <FileBrowser onOpen={(p) => { add(p); setBrowsing(false); }} onClose={() => setBrowsing(false)} />}
    </div>
  );
}
