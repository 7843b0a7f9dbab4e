// From the unpickled object to a flat list of named tensors: unwrap training checkpoints, strip a
// DataParallel `module.` prefix, flatten nested dicts, and report what was done.
import { DTYPE_SIZE } from '../../tensor/dtypes';
import { PyDict, PyTuple, TorchTensor, describeValue, type PyValue } from './python-values';
import { PickleFormatError } from './unpickle';

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
/**
 * Bounds on the walk from the unpickled object to named tensors (a real state dict is a few levels deep, with
 * names of a few hundred characters at most and well under this many tensors).
 */
export const MAX_STATE_DICT_DEPTH = 32;
export const MAX_TENSORS = 200_000;
export const MAX_TENSOR_NAME = 4096;
/** Keys of a checkpoint listed in its note, at most. */
const LISTED_KEYS = 20;

export function extractStateDict(root: PyValue): StateDict {
  const notes: string[] = [];
  const metadata: Record<string, string> = {};
  const holds = tensorFinder();
  let weights: PyValue = root;
  // A checkpoint wraps the weights; a state dict holds tensors directly and is never unwrapped.
  if (root instanceof PyDict && !root.entries.some((e) => e.value instanceof TorchTensor)) {
    const wrapper = WRAPPER_KEYS.find((k) => {
      const v = root.get(k);
      return v instanceof PyDict && holds(v);
    });
    if (wrapper) {
      weights = root.get(wrapper) as PyValue;
      const others = root.entries.filter((e) => e.key !== wrapper);
      const listed = others.slice(0, LISTED_KEYS).map((e) => String(e.key)).join(', ') + (others.length > LISTED_KEYS ? ', …' : '');
      notes.push(`unwrapped a training checkpoint: weights taken from '${wrapper}'` + (others.length ? `; also in the file, not loaded: ${listed}` : ''));
      for (const e of root.entries) {
        if (typeof e.key !== 'string' || e.key === wrapper || e.key === '__proto__') continue;
        const v = e.value;
        if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') metadata[e.key] = String(v);
      }
    }
  }
  const tensors: NamedTensor[] = [];
  if (weights instanceof TorchTensor) tensors.push({ name: 'tensor', tensor: weights });
  else {
    const walk = { out: tensors, visited: new Set<object>(), revisits: 0, holds };
    collect(weights, '', 0, walk);
    if (walk.revisits) {
      notes.push(`${walk.revisits} reference(s) to a dict or list already loaded under another name were skipped (each container is loaded once)`);
    }
  }

  if (tensors.length && tensors.every((t) => t.name.startsWith('module.'))) {
    for (const t of tensors) t.name = t.name.slice('module.'.length);
    notes.push("stripped the DataParallel prefix 'module.' from every name");
  }
  return { tensors, notes, metadata };
}

interface Walk {
  out: NamedTensor[];
  /** Containers already walked: a pickle can reuse one object many times over (a DAG that spells out 2^n paths). */
  visited: Set<object>;
  revisits: number;
  holds: (v: PyValue) => boolean;
}

function collect(v: PyValue, prefix: string, depth: number, walk: Walk): void {
  if (v === null || typeof v !== 'object') return;
  const items: [string, PyValue][] | null = v instanceof PyDict ? dictItems(v)
    : Array.isArray(v) ? v.map((x, i) => [String(i), x])
      : v instanceof PyTuple ? v.items.map((x, i) => [String(i), x]) : null;
  if (!items) return;
  if (walk.visited.has(v)) {
    walk.revisits++;
    return;
  }
  walk.visited.add(v);
  if (depth > MAX_STATE_DICT_DEPTH || prefix.length > MAX_TENSOR_NAME) {
    if (!walk.holds(v)) return; // deep bookkeeping without weights is no concern of ours
    throw new PickleFormatError(depth > MAX_STATE_DICT_DEPTH
      ? `its tensors are nested more than ${MAX_STATE_DICT_DEPTH} containers deep`
      : `a tensor name is longer than ${MAX_TENSOR_NAME} characters`);
  }
  for (const [key, value] of items) {
    const name = prefix + key;
    if (value instanceof TorchTensor) {
      if (name.length > MAX_TENSOR_NAME) throw new PickleFormatError(`a tensor name is longer than ${MAX_TENSOR_NAME} characters`);
      if (walk.out.length >= MAX_TENSORS) throw new PickleFormatError(`it holds more than ${MAX_TENSORS} tensors`);
      walk.out.push({ name, tensor: value });
    } else collect(value, `${name}.`, depth + 1, walk);
  }
}

/** A dict's entries whose keys can be part of a name (strings and integers). */
function dictItems(d: PyDict): [string, PyValue][] {
  const out: [string, PyValue][] = [];
  for (const e of d.entries) {
    if (typeof e.key === 'string' || typeof e.key === 'number') out.push([String(e.key), e.value]);
  }
  return out;
}

/**
 * Whether a value holds a tensor anywhere inside. Iterative (a pickle can nest lists a million deep), and
 * containers found to hold none are remembered across calls, so each is looked into once.
 */
function tensorFinder(): (v: PyValue) => boolean {
  const empty = new Set<object>();
  return (start) => {
    const local = new Set<object>();
    const todo: PyValue[] = [start];
    while (todo.length) {
      const v = todo.pop() as PyValue;
      if (v instanceof TorchTensor) return true;
      if (v === null || typeof v !== 'object' || empty.has(v) || local.has(v)) continue;
      local.add(v);
      if (v instanceof PyDict) for (const e of v.entries) todo.push(e.value);
      else if (Array.isArray(v)) for (const x of v) todo.push(x);
      else if (v instanceof PyTuple) for (const x of v.items) todo.push(x);
    }
    for (const c of local) empty.add(c);
    return false;
  };
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
