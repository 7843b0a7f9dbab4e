// "What this merge will do": every step a recipe runs, in plain words, read off the recipe itself (not the form),
// so that nothing reaches a merge that the Scheme screen does not show. A key this module does not know is
// still listed, as it is written, and marked unknown (the unit test keeps the form's recipes free of those).
import type { MethodInfo } from '../../../../main/engine/api';
import type { AlignChoice } from '../../state/store';
import type { SchemeForm } from './recipeForm';

/** What a step's Remove button takes out of the recipe; absent on a step the merge cannot do without. */
export type StepRemoval =
  | { kind: 'alignment' }
  | { kind: 'repair' }
  | { kind: 'base' }
  | { kind: 'parameter'; name: string }
  /** A rule of `layers:`, by its index there. */
  | { kind: 'layer'; index: number }
  | { kind: 'slices' }
  | { kind: 'overwrite' };

export interface RecipeStep {
  /** The recipe keys it shows, as paths ("align.method", "parameters.density", "output"). */
  keys: string[];
  text: string;
  remove?: StepRemoval;
  /** A key this module has no words for: shown as written. */
  unknown?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const fileName = (p: string): string => p.split(/[\\/]/).pop() || p;

/** A value as a person reads it: numbers without float noise (0.1, not 0.09999999999999998), switches on/off. */
export function valueWords(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : String(Number(v.toPrecision(6)));
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(valueWords).join(', ');
  return JSON.stringify(v);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Steps for the keys of `o` (under `prefix`) that `known` does not cover: shown as they are. */
function unknownSteps(o: Obj, known: readonly string[], prefix = ''): RecipeStep[] {
  return Object.entries(o)
    .filter(([k]) => !known.includes(k))
    .map(([k, v]) => ({ keys: [`${prefix}${k}`], text: `Also set in the recipe: ${prefix}${k} = ${valueWords(v)}`, unknown: true }));
}

interface ModelRefValue { path: string; weight?: number; parameters?: Obj }
const modelsOf = (r: Obj): ModelRefValue[] =>
  Array.isArray(r.models) ? r.models.map((m) => (typeof m === 'string' ? { path: m } : (m as ModelRefValue))) : [];

function sourceSteps(r: Obj, method: MethodInfo | undefined): RecipeStep[] {
  const steps: RecipeStep[] = [];
  const models = modelsOf(r);
  if (Array.isArray(r.models)) {
    const showWeights = method?.usesWeights || models.some((m) => m.weight !== undefined && m.weight !== 1);
    const each = models.map((m) => {
      const extras = [
        ...(showWeights && m.weight !== undefined ? [`weight ${valueWords(m.weight)}`] : []),
        ...Object.entries(m.parameters ?? {}).map(([k, v]) => `its own ${k} ${valueWords(v)}`),
      ];
      return `${fileName(m.path)}${extras.length ? ` (${extras.join(', ')})` : ''}`;
    });
    steps.push({ keys: ['models'], text: `Merge ${plural(models.length, 'model')}: ${each.join('; ')}` });
  }
  if (isObj(r.checkpoints)) {
    const c = r.checkpoints;
    const window = c.last !== undefined ? `the last ${plural(Number(c.last), 'epoch')}` : `epochs ${valueWords(c.from_epoch ?? 0)} to ${c.to_epoch !== undefined ? valueWords(c.to_epoch) : 'the last'}`;
    steps.push({ keys: ['checkpoints'], text: `Merge the checkpoints of one training run in ${String(c.dir)}: ${window}` });
  }
  if (typeof r.base === 'string') {
    steps.push({
      keys: ['base'], text: `Base model: ${fileName(r.base)} — the model the others were fine-tuned from; the merge works on their differences from it`,
      ...(method?.needsBase ? {} : { remove: { kind: 'base' } as const }),
    });
  }
  return steps;
}

const ALIGN_WORDS: Record<string, string> = { weight: 'weight matching (Git Re-Basin)', activation: 'activation matching' };
const ALIGN_KNOWN = ['method', 'dataset', 'samples', 'seed', 'repair', 'arch', 'graph', 'rename', 'exclude'] as const;

/** The alignment before the merge and, after it, the BatchNorm repair (each removable on its own). */
function alignSteps(r: Obj): { before: RecipeStep[]; after: RecipeStep[] } {
  if (!isObj(r.align)) return { before: [], after: [] };
  const a = r.align;
  const first = modelsOf(r)[0];
  const sample = a.dataset ? `${String(a.dataset)}${a.samples !== undefined ? `, ${plural(Number(a.samples), 'sample')}` : ''}` : '';
  const before: RecipeStep[] = [];
  const keys = ['align', 'align.method'];
  const parts: string[] = [];
  if (a.method === 'none') {
    parts.push('Line up the models\' tensors as accepted on the Align screen, without permuting hidden units');
  } else {
    parts.push(`Align the other models to ${first ? fileName(first.path) : 'the first model'} by ${ALIGN_WORDS[String(a.method)] ?? String(a.method)}`);
    if (a.method === 'activation' && sample) { parts.push(`measured on ${sample}`); keys.push('align.dataset', 'align.samples'); }
    parts.push('chosen on the Align screen');
  }
  if (a.seed !== undefined) { parts.push(`seed ${valueWords(a.seed)}`); keys.push('align.seed'); }
  if (a.arch !== undefined) { parts.push(`weights read as the ${String(a.arch)} architecture`); keys.push('align.arch'); }
  if (a.graph !== undefined) { parts.push(`weights read with the graph of ${fileName(String(a.graph))}`); keys.push('align.graph'); }
  if (Array.isArray(a.rename) && a.rename.length) {
    const n = a.rename.reduce((s: number, x) => s + Object.keys((x as { map?: Obj }).map ?? {}).length, 0);
    parts.push(`${plural(n, 'tensor')} matched by hand`);
    keys.push('align.rename');
  }
  if (Array.isArray(a.exclude) && a.exclude.length) {
    parts.push(`kept from the first model, not merged: ${a.exclude.map(String).join(', ')}`);
    keys.push('align.exclude');
  }
  before.push({ keys, text: parts.join('; '), remove: { kind: 'alignment' } });
  before.push(...unknownSteps(a, ALIGN_KNOWN, 'align.'));

  const after: RecipeStep[] = [];
  const repairKeys = ['align.repair', ...(a.method === 'activation' ? [] : ['align.dataset', 'align.samples'].filter((k) => a[k.slice(6)] !== undefined))];
  if (a.repair === 'reset') after.push({ keys: repairKeys, text: `Then repair BatchNorm statistics: recompute them on ${sample || 'the data sample'}`, remove: { kind: 'repair' } });
  else if (a.repair === 'repair') after.push({ keys: repairKeys, text: `Then rescale the merged hidden units with REPAIR, measured on ${sample || 'the data sample'}`, remove: { kind: 'repair' } });
  else if (a.repair === undefined) after.push({ keys: repairKeys, text: `Then recompute BatchNorm statistics if the models have BatchNorm${sample ? ` (on ${sample})` : ' and a data sample is given'}` });
  else after.push({ keys: repairKeys, text: 'No BatchNorm repair after merging' });
  return { before, after };
}

/** The data-aware method's sample (fisher, regmean): each model is measured on it first. */
function dataSteps(r: Obj): RecipeStep[] {
  if (!isObj(r.data)) return [];
  const d = r.data;
  const models = modelsOf(r);
  const per = d.samples !== undefined ? `${plural(Number(d.samples), 'sample')} each` : 'the first 1,000 samples each';
  const where = Array.isArray(d.dataset)
    ? d.dataset.map((s, i) => `${models[i] ? fileName(models[i].path) : `model ${i + 1}`} on ${String(s)}`).join('; ')
    : `every model on ${String(d.dataset)}`;
  const arch = d.arch ? `, weights read as the ${String(d.arch)} architecture` : d.graph ? `, weights read with the graph of ${fileName(String(d.graph))}` : '';
  return [
    { keys: ['data', 'data.dataset', ...(d.samples !== undefined ? ['data.samples'] : []), ...(d.arch ? ['data.arch'] : []), ...(d.graph ? ['data.graph'] : [])], text: `Before merging, measure ${where} (${per}${arch})` },
    ...unknownSteps(d, ['dataset', 'samples', 'arch', 'graph'], 'data.'),
  ];
}

function methodSteps(r: Obj, method: MethodInfo | undefined): RecipeStep[] {
  const steps: RecipeStep[] = [{
    keys: ['method'],
    text: method ? `Combine the weights by ${method.label}: ${method.formula}` : `Combine the weights by ${String(r.method)}`,
  }];
  const set = isObj(r.parameters) ? r.parameters : {};
  for (const p of method?.params ?? []) {
    const given = set[p.name] !== undefined;
    steps.push({
      keys: given ? ['parameters', `parameters.${p.name}`] : [],
      text: `${p.name} = ${valueWords(given ? set[p.name] : p.default)}${given ? '' : ' (the default)'} — ${p.description}`,
      ...(given ? { remove: { kind: 'parameter', name: p.name } as const } : {}),
    });
  }
  const known = (method?.params ?? []).map((p) => p.name);
  // a parameter the method does not take still goes into the recipe: shown, and removable
  for (const [k, v] of Object.entries(set)) {
    if (!known.includes(k)) steps.push({ keys: ['parameters', `parameters.${k}`], text: `${k} = ${valueWords(v)} (not a parameter of this method)`, remove: { kind: 'parameter', name: k } });
  }
  if (isObj(r.parameters) || r.parameters === undefined) return steps;
  return [...steps, { keys: ['parameters'], text: `parameters = ${valueWords(r.parameters)}`, unknown: true }];
}

function layerRuleWords(l: Obj, models: ModelRefValue[]): string {
  const where = l.match !== undefined ? `Layers matching ${String(l.match)}` : `Layers whose names match /${String(l.regex)}/`;
  if (l.from !== undefined) {
    const m = models[Number(l.from)];
    return `${where}: keep them from ${m ? fileName(m.path) : `model ${Number(l.from) + 1}`}, not merged`;
  }
  if (l.exclude) return `${where}: leave them out of the output`;
  const what: string[] = [];
  if (Array.isArray(l.weights)) what.push(`weights ${l.weights.map((w, i) => `${models[i] ? fileName(models[i].path) : `model ${i + 1}`} ${Array.isArray(w) ? `${valueWords(w)} (a gradient over the layers)` : valueWords(w)}`).join(', ')}`);
  if (isObj(l.parameters)) what.push(Object.entries(l.parameters).map(([k, v]) => `${k} ${valueWords(v)}`).join(', '));
  if (Array.isArray(l.model_parameters)) what.push(`per model: ${l.model_parameters.map((p, i) => `${models[i] ? fileName(models[i].path) : `model ${i + 1}`} ${isObj(p) ? Object.entries(p).map(([k, v]) => `${k} ${valueWords(v)}`).join(', ') : valueWords(p)}`).join('; ')}`);
  if (l.over !== undefined) what.push(`gradients over ${String(l.over)}`);
  return `${where}: merge them with ${what.join('; ') || 'the settings above'}`;
}

function layerSteps(r: Obj): RecipeStep[] {
  if (!Array.isArray(r.layers)) return [];
  const models = modelsOf(r);
  return r.layers.map((l, index) => ({ keys: ['layers'], text: isObj(l) ? layerRuleWords(l, models) : valueWords(l), remove: { kind: 'layer', index } as const }));
}

function sliceSteps(r: Obj): RecipeStep[] {
  if (!Array.isArray(r.slices)) return [];
  const models = modelsOf(r);
  const each = r.slices.map((s) => (isObj(s) && Array.isArray(s.sources)
    ? s.sources.map((x) => {
        const src = x as { model: number | 'base'; layers: [number, number] };
        const who = src.model === 'base' ? 'the base' : models[src.model] ? fileName(models[src.model].path) : `model ${src.model + 1}`;
        return `layers ${src.layers[0]}–${src.layers[1] - 1} of ${who}`;
      }).join(' + ')
    : valueWords(s)));
  return [{ keys: ['slices'], text: `Stack the output's layers from ${plural(each.length, 'slice')} (from the loaded recipe): ${each.join('; ')}`, remove: { kind: 'slices' } }];
}

const OUTPUT_KNOWN = ['path', 'dtype', 'overwrite', 'folder', 'shard_size', 'tokenizer', 'chat_template'] as const;

function outputSteps(r: Obj): RecipeStep[] {
  const o = isObj(r.output) ? r.output : {};
  const keys = ['output', ...['path', 'dtype', 'folder', 'shard_size', 'tokenizer', 'chat_template'].filter((k) => o[k] !== undefined).map((k) => `output.${k}`)];
  const where = typeof o.path === 'string' ? o.path : 'a new file in this merge\'s own run folder';
  const dtype = o.dtype !== undefined ? String(o.dtype) : 'the models\' own number format';
  const folder = o.folder
    ? [' as a model folder', o.shard_size !== undefined ? `, in shards of at most ${valueWords(o.shard_size)} bytes` : '', o.tokenizer !== undefined ? `, tokenizer from ${valueWords(o.tokenizer)}` : '', o.chat_template !== undefined ? `, chat template ${valueWords(o.chat_template)}` : ''].join('')
    : '';
  const steps: RecipeStep[] = [{ keys, text: `Write the merged model to ${where}${folder} (numbers as ${dtype})` }];
  if (o.overwrite === true) steps.push({ keys: ['output.overwrite'], text: `Replace the file that is already at ${where}`, remove: { kind: 'overwrite' } });
  else if (o.overwrite === false) steps.push({ keys: ['output.overwrite'], text: 'Never replace a file that exists' });
  return [...steps, ...unknownSteps(o, OUTPUT_KNOWN, 'output.')];
}

const TOP_KNOWN = ['method', 'models', 'checkpoints', 'base', 'parameters', 'layers', 'slices', 'align', 'data', 'output'] as const;

/** Every step `recipe` runs, in the order the merge runs them. `methods`: the mergeMethods API's list. */
export function describeRecipe(recipe: Record<string, unknown>, methods: readonly MethodInfo[]): RecipeStep[] {
  const method = methods.find((m) => m.id === recipe.method);
  const align = alignSteps(recipe);
  return [
    ...sourceSteps(recipe, method),
    ...align.before,
    ...dataSteps(recipe),
    ...methodSteps(recipe, method),
    ...layerSteps(recipe),
    ...sliceSteps(recipe),
    ...align.after,
    ...outputSteps(recipe),
    ...unknownSteps(recipe, TOP_KNOWN),
  ];
}

/** The form (or alignment) without the step: the one place a Remove button's meaning is decided. */
export function withoutStep(r: StepRemoval, form: SchemeForm, alignment: AlignChoice | null): { form: SchemeForm; alignment: AlignChoice | null } {
  switch (r.kind) {
    case 'alignment': return { form, alignment: null };
    case 'repair': return { form, alignment: alignment && { ...alignment, repair: 'none' } };
    case 'base': return { form: { ...form, base: '' }, alignment };
    case 'parameter': {
      const params = { ...form.params };
      delete params[r.name]; // back to the method's default
      return { form: { ...form, params }, alignment };
    }
    case 'layer': {
      // the recipe's rules are the kept rules of a loaded recipe, then the table's (formToRecipe's order)
      const extra = form.extraLayers ?? [];
      if (r.index < extra.length) return { form: { ...form, extraLayers: extra.filter((_, i) => i !== r.index) }, alignment };
      const target = form.groups.filter((g) => g.action !== 'merge')[r.index - extra.length];
      return { form: { ...form, groups: form.groups.filter((g) => g !== target) }, alignment };
    }
    case 'slices': return { form: { ...form, slices: undefined }, alignment };
    case 'overwrite': return { form: { ...form, output: { ...form.output, overwrite: false } }, alignment };
  }
}
