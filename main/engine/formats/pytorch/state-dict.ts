// From the unpickled object to a flat list of named tensors: unwrap training checkpoints, strip a
// DataParallel `module.` prefix, flatten nested dicts, and report what was done.
import { DTYPE_SIZE } from '../../tensor/dtypes';
import { PyDict, PyTuple, TorchTensor, describeValue, type PyValue } from './python-values';

export interface NamedTensor {
  name: string;
  tensor: TorchTensor;
}
export interface StateDict {
  tensors: NamedTensor[];
  notes: string[];
  metadata: Record<string, string>;
}

/** Keys under which training scripts usually keep the model's weights, in order of preference. */
const WRAPPER_KEYS = ['model_state_dict', 'state_dict', 'model'];
const MAX_DEPTH = 32;

export function extractStateDict(root: PyValue): StateDict {
  const notes: string[] = [];
  const metadata: Record<string, string> = {};
  let weights: PyValue = root;
  // A checkpoint wraps the weights; a state dict holds tensors directly and is never unwrapped.
  if (root instanceof PyDict && !root.entries.some((e) => e.value instanceof TorchTensor)) {
    const wrapper = WRAPPER_KEYS.find((k) => {
      const v = root.get(k);
      return v instanceof PyDict && hasTensor(v, 0, new Set());
    });
    if (wrapper) {
      weights = root.get(wrapper) as PyValue;
      const others = root.entries.map((e) => String(e.key)).filter((k) => k !== wrapper);
      notes.push(`unwrapped a training checkpoint: weights taken from '${wrapper}'` +
        (others.length ? `; also in the file, not loaded: ${others.join(', ')}` : ''));
      for (const e of root.entries) {
        if (typeof e.key !== 'string' || e.key === wrapper || e.key === '__proto__') continue;
        const v = e.value;
        if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') metadata[e.key] = String(v);
      }
    }
  }
  const tensors: NamedTensor[] = [];
  if (weights instanceof TorchTensor) tensors.push({ name: 'tensor', tensor: weights });
  else collect(weights, '', tensors, 0, new Set());

  if (tensors.length && tensors.every((t) => t.name.startsWith('module.'))) {
    for (const t of tensors) t.name = t.name.slice('module.'.length);
    notes.push("stripped the DataParallel prefix 'module.' from every name");
  }
  return { tensors, notes, metadata };
}

function collect(v: PyValue, prefix: string, out: NamedTensor[], depth: number, seen: Set<object>): void {
  if (depth > MAX_DEPTH || v === null || typeof v !== 'object' || seen.has(v)) return;
  if (v instanceof PyDict) {
    seen.add(v);
    for (const e of v.entries) {
      const key = typeof e.key === 'string' || typeof e.key === 'number' ? String(e.key) : null;
      if (key === null) continue;
      const name = prefix + key;
      if (e.value instanceof TorchTensor) out.push({ name, tensor: e.value });
      else collect(e.value, `${name}.`, out, depth + 1, seen);
    }
    seen.delete(v);
  } else if (Array.isArray(v) || v instanceof PyTuple) {
    const items = Array.isArray(v) ? v : v.items;
    seen.add(v);
    items.forEach((item, i) => {
      if (item instanceof TorchTensor) out.push({ name: prefix + i, tensor: item });
      else collect(item, `${prefix}${i}.`, out, depth + 1, seen);
    });
    seen.delete(v);
  }
}

function hasTensor(v: PyValue, depth: number, seen: Set<object>): boolean {
  if (v instanceof TorchTensor) return true;
  if (depth > MAX_DEPTH || v === null || typeof v !== 'object' || seen.has(v)) return false;
  seen.add(v);
  if (v instanceof PyDict) return v.entries.some((e) => hasTensor(e.value, depth + 1, seen));
  if (Array.isArray(v)) return v.some((x) => hasTensor(x, depth + 1, seen));
  if (v instanceof PyTuple) return v.items.some((x) => hasTensor(x, depth + 1, seen));
  return false;
}

/**
 * Tied groups: names whose tensors are the same view of the same storage (one parameter saved under
 * several names). Different views that merely overlap are separate tensors and reported in a note.
 */
export function tiedGroups(tensors: NamedTensor[], notes: string[]): string[][] {
  const byView = new Map<string, string[]>();
  const byStorage = new Map<object, Set<string>>();
  for (const { name, tensor: t } of tensors) {
    const view = [t.storage.key, t.storage.elementOffset + t.offset, t.dtype, t.shape.join('x'), t.stride.join(',')].join('|');
    const g = byView.get(view);
    if (g) g.push(name);
    else byView.set(view, [name]);
    const s = byStorage.get(t.storage) ?? new Set<string>();
    s.add(view);
    byStorage.set(t.storage, s);
  }
  const groups = [...byView.values()].filter((g) => g.length > 1);
  const sharedViews = [...byStorage.values()].filter((s) => s.size > 1).length;
  if (sharedViews) notes.push(`${sharedViews} storage(s) hold several different views (slices/transposes); each view is loaded as its own tensor`);
  return groups;
}

export function describeRoot(v: PyValue): string {
  if (v instanceof PyDict) {
    const keys = v.entries.slice(0, 8).map((e) => String(e.key));
    return `a ${v.kind} with keys ${keys.join(', ')}${v.size > 8 ? ', …' : ''}`;
  }
  return `a ${describeValue(v)}`;
}

export function elementSize(t: TorchTensor): number {
  return DTYPE_SIZE[t.dtype];
}
