// The base model of task-vector methods: a list of the models already open (and any in the recipe), plus
// Browse… for another file. Choosing a model as the base leaves it out of the models being merged.
import { useModelNames } from '../../components/modelNames';
import { useFilePicker } from '../../components/useFilePicker';

const BROWSE = '__browse__';

export function BaseModelField({ required, value, candidates, onChange }: {
  required: boolean;
  value: string;
  /** Paths to offer: the open models and the recipe's models. */
  candidates: string[];
  onChange: (path: string) => void;
}) {
  const picker = useFilePicker({ title: 'Choose the base model', onPick: onChange });
  const options = [...new Set([...candidates, ...(value ? [value] : [])])];
  // By the run that wrote each (or with its folder, where two files share a name): the engine's names.
  const label = useModelNames(options);
  return (
    <div className="mt-3 text-sm">
      <label className="flex flex-col gap-1">
        <span>Base model <span className="text-slate-600">{required ? '(required: task vectors θᵢ − θ_b are measured from it)' : '(optional)'}</span></span>
        <select className="rounded border border-slate-300 bg-white px-2 py-1" aria-label="Base model" value={value}
          onChange={(e) => (e.target.value === BROWSE ? picker.start() : onChange(e.target.value))}>
          <option value="">{required ? '— choose the base model —' : 'none'}</option>
          {options.map((p) => <option key={p} value={p} title={p}>{label(p)}</option>)}
          <option value={BROWSE}>Browse for another file…</option>
        </select>
      </label>
      {value && <p className="mt-1 truncate font-mono text-xs text-slate-600" title={value}>{value}</p>}
      {picker.browser && <div className="mt-2">{picker.browser}</div>}
    </div>
  );
}
