// A merge written as a Hugging Face model folder, as mergekit writes one (merge.py): beside the weights
// (formats/sharded-safetensors.ts), the donor's config.json with the output's dtype and layer count (the base's,
// else the first model's), the tokenizer files (the donor's, or those `tokenizer` names, every model's
// vocabulary the same), the chat template, a README.md model card with the recipe, and mergekit_config.yml when
// the recipe exports to mergekit exactly. Planned before the merge, so a tokenizer that cannot be written stops
// it before any tensor is; written after the weights.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../files/writeAtomic';
import { realPathInModelFolder } from '../formats/linked-files';
import { isHfRepoId, sourceName } from '../formats/model-folder';
import type { MergeIO } from '../formats/model-io';
import { DEFAULT_SHARD_BYTES, modelFolderWriter, parseShardSize } from '../formats/sharded-safetensors';
import type { FormatWriter, ModelSource } from '../formats/types';
import { exportMergekit } from './mergekit-export';
import { rebaseRecipe } from './mergekit-file';
import { MK_DTYPES } from './mergekit-methods';
import { getMethod } from './methods';
import { modelCard } from './model-card';
import type { MergePlan, PlanSources } from './plan';
import type { ResolvedOutput, ResolvedRecipe } from './recipe';
import { chatTemplateOf, chooseChatTemplate, tokenizerFilesIn, vocabularyDifferences, vocabularyOf } from './tokenizer-files';

/** A file of the folder besides the weights: its text, or a file of an input folder copied as it is. */
export interface FolderFile { name: string; text?: string; copyFrom?: string }

export interface FolderPlan {
  files: FolderFile[];
  /** What stops the merge (a tokenizer that cannot be written), in words. */
  blocking: string[];
  /** What the folder lacks, or how it differs from mergekit's, for the run's log. */
  notes: string[];
}

/** The keys a config.json keeps its layer count under, by architecture family (mergekit's num_layers_config_key). */
const LAYER_KEYS = ['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers'];

/** The writer of the output: a model folder's sharded weights, or the file's format by its extension. */
export function outputWriter(io: Pick<MergeIO, 'writerFor'>, output: Pick<ResolvedOutput, 'path' | 'folder' | 'shard_size'>): FormatWriter {
  if (!output.folder) return io.writerFor(output.path);
  return modelFolderWriter(output.shard_size === undefined ? DEFAULT_SHARD_BYTES : parseShardSize(output.shard_size));
}

/** The output folder holds an input: writing it would change a parent. */
export function folderHoldsInput(r: ResolvedRecipe): string | undefined {
  if (!r.output.folder) return undefined;
  const out = path.resolve(r.output.path);
  return [...r.models.map((m) => m.path), ...(r.base ? [r.base] : [])].find((p) => !path.relative(out, path.resolve(p)).startsWith('..'));
}

/** A folder's file `name`, refused when it is a link that leads out of the folder (HF cache blobs allowed). */
async function inFolder(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  await realPathInModelFolder(path.join(dir, 'config.json'), file, `file "${name}"`);
  return file;
}

async function donorConfig(r: ResolvedRecipe, donor: string | undefined, plan: MergePlan, notes: string[]): Promise<Record<string, unknown> | undefined> {
  if (!donor || !existsSync(path.join(donor, 'config.json'))) {
    notes.push('no config.json is written: the base (or the first model) was not given as a model folder');
    return undefined;
  }
  const cfg = JSON.parse(await fs.readFile(await inFolder(donor, 'config.json'), 'utf8')) as Record<string, unknown>;
  const dtype = r.output.dtype === 'f64' ? 'float64' : r.output.dtype ? MK_DTYPES[r.output.dtype] : undefined;
  // transformers 5 writes `dtype`, earlier ones `torch_dtype`: the key the donor has is set.
  if (dtype) cfg['dtype' in cfg ? 'dtype' : 'torch_dtype'] = dtype;
  if (plan.stack) {
    const key = LAYER_KEYS.find((k) => typeof cfg[k] === 'number');
    if (key) cfg[key] = plan.stack.layers;
    else notes.push(`config.json has none of ${LAYER_KEYS.join(', ')}: set its layer count to ${plan.stack.layers} by hand`);
  }
  return cfg;
}

/** The folder `tokenizer` names: the donor's for base and union, a model's, or a folder. */
function tokenizerFolder(r: ResolvedRecipe, sources: PlanSources, donor: string | undefined, blocking: string[]): string | undefined {
  const t = r.output.tokenizer;
  if (t === undefined || t === 'base' || t === 'union') return donor;
  if (typeof t === 'object') return t.path;
  const m = sources.models[t];
  if (!m) blocking.push(`output.tokenizer names model ${t}, but the recipe lists ${sources.models.length} (numbered from 0)`);
  else if (!m.folder) blocking.push(`output.tokenizer names model ${t}, ${sourceName(m)}, which is not a model folder (its tokenizer lies beside config.json)`);
  return m?.folder;
}

/**
 * With a tokenizer source, mergekit rebuilds every model's embedding rows for the output vocabulary. Where the
 * vocabularies are all the same that changes nothing, and the tokenizer is written as it is; where they differ
 * (or the vocabulary is not the embedding's size), it is refused, naming the tokens.
 */
async function checkVocabularies(dir: string, referenced: ModelSource[], cfg: Record<string, unknown> | undefined, blocking: string[]): Promise<number | undefined> {
  const vocab = await vocabularyOf(dir);
  if (!vocab) {
    blocking.push(`output.tokenizer: ${dir} has no tokenizer.json, whose vocabulary the models' must match`);
    return undefined;
  }
  for (const m of referenced) {
    if (!m.folder || m.folder === dir) continue;
    const theirs = await vocabularyOf(m.folder);
    if (!theirs) continue; // mergekit takes a model without a tokenizer to have the base's
    const diff = vocabularyDifferences(vocab, theirs);
    if (diff.length) {
      blocking.push(`output.tokenizer: the vocabularies of ${path.basename(dir)} and ${sourceName(m)} differ in ${diff.length} token${diff.length === 1 ? '' : 's'}: ${diff.slice(0, 8).join(', ')}${diff.length > 8 ? ', …' : ''} — mergekit would rebuild the embeddings for a merged vocabulary, which is not done here; merge models of one vocabulary, or leave tokenizer unset (the base's is copied)`);
    }
  }
  const rows = cfg?.vocab_size;
  if (typeof rows === 'number' && rows !== vocab.size) {
    blocking.push(`output.tokenizer: the tokenizer has ${vocab.size} tokens but the embeddings ${rows} rows; mergekit would cut or pad them to ${vocab.size}, which is not done here — leave tokenizer unset (the base's is copied as it is)`);
  }
  return vocab.size;
}

/** The tokenizer files, with the chat template written in: chat_template.jinja, and none left in tokenizer_config.json. */
async function tokenizerFiles(r: ResolvedRecipe, dir: string | undefined, referenced: ModelSource[], blocking: string[], notes: string[]): Promise<FolderFile[]> {
  const names = dir ? tokenizerFilesIn(dir) : [];
  if (!names.length) notes.push(`no tokenizer files are written: ${dir ? `${dir} has no tokenizer_config.json with a tokenizer.json or tokenizer.model` : 'the base (or the first model) is not a model folder'}`);
  const files: FolderFile[] = [];
  for (const name of names) files.push({ name, copyFrom: await inFolder(dir!, name) });
  const setting = r.output.chat_template;
  if (!setting) return files;
  const { template, problem } = chooseChatTemplate(setting, await Promise.all(referenced.map((m) => (m.folder ? chatTemplateOf(m.folder) : undefined))));
  if (problem) { blocking.push(`output.chat_template: ${problem}`); return files; }
  if (!template) { notes.push('chat_template auto: no model has a chat template; none is written'); return files; }
  if (!names.length) { notes.push('a chat template is set but there is no tokenizer to write it with (mergekit warns the same); it is not written'); return files; }
  const kept = files.filter((f) => f.name !== 'chat_template.jinja' && f.name !== 'chat_template.json' && f.name !== 'tokenizer_config.json');
  const tokCfg = JSON.parse(await fs.readFile(files.find((f) => f.name === 'tokenizer_config.json')!.copyFrom!, 'utf8')) as Record<string, unknown>;
  delete tokCfg.chat_template;
  return [...kept, { name: 'tokenizer_config.json', text: `${JSON.stringify(tokCfg, null, 2)}\n` }, { name: 'chat_template.jinja', text: template }];
}

/** Hugging Face repo ids among the recipe's models: ids as written, and folders in the HF cache (models--org--name). */
function hfIdsOf(r: ResolvedRecipe): string[] {
  const ids = new Set<string>();
  const written = [...(r.recipe.models ?? []).map((m) => m.path), ...(r.recipe.base ? [r.recipe.base] : [])];
  for (const p of written) if (isHfRepoId(p) && !existsSync(path.resolve(r.baseDir, p))) ids.add(p);
  for (const f of [...r.models.map((m) => m.folder), r.baseFolder]) {
    const m = f ? /models--([^/\\]+?)--([^/\\]+)[/\\]snapshots[/\\]/.exec(f) : null;
    if (m) ids.add(`${m[1]}/${m[2]}`);
  }
  return [...ids];
}

/** The model card and, when the recipe exports to mergekit exactly, mergekit_config.yml. */
function cardFiles(r: ResolvedRecipe, sources: PlanSources, recipeYaml: string): FolderFile[] {
  const method = getMethod(r.method);
  let mergekitYaml: string | undefined;
  try {
    const exported = exportMergekit(rebaseRecipe(r.recipe, r.baseDir));
    if (exported.notCarried.every((n) => n.startsWith('output path'))) mergekitYaml = exported.yaml;
  } catch { /* no mergekit form (ema on checkpoints, …): the card has the recipe only */ }
  const card = modelCard({
    name: path.basename(r.output.path),
    methodLabel: method.label,
    base: (method.needsBase || method.acceptsBase) && sources.base ? sourceName(sources.base) : undefined,
    models: sources.models.map(sourceName),
    hfIds: hfIdsOf(r),
    recipeYaml,
    mergekitYaml,
  });
  return [{ name: 'README.md', text: card }, ...(mergekitYaml ? [{ name: 'mergekit_config.yml', text: mergekitYaml }] : [])];
}

/** Everything but the weights of a model folder output, and what stops it. */
export async function planOutputFolder(r: ResolvedRecipe, sources: PlanSources, plan: MergePlan, recipeYaml: string): Promise<FolderPlan> {
  const blocking: string[] = [];
  const notes: string[] = [];
  const referenced = [...sources.models, ...(sources.base ? [sources.base] : [])];
  // mergekit's donor: the base, else the first model (mergekit's "first" is of a set, so any one of them).
  const donor = sources.base?.folder ?? sources.models[0]?.folder;
  const cfg = await donorConfig(r, donor, plan, notes);
  const tokDir = tokenizerFolder(r, sources, donor, blocking);
  if (r.output.tokenizer !== undefined && tokDir) {
    const size = await checkVocabularies(tokDir, referenced, cfg, blocking);
    if (cfg && size !== undefined) cfg.vocab_size = size;
  }
  const files: FolderFile[] = [];
  if (cfg) files.push({ name: 'config.json', text: `${JSON.stringify(cfg, null, 2)}\n` });
  files.push(...(await tokenizerFiles(r, tokDir, referenced, blocking, notes)), ...cardFiles(r, sources, recipeYaml));
  return { files, blocking, notes };
}

/** Writes the planned files into the folder (after its weights), each atomically. */
export async function writeFolderFiles(dir: string, files: FolderFile[]): Promise<void> {
  for (const f of files) await writeFileAtomic(path.join(dir, f.name), f.text ?? (await fs.readFile(f.copyFrom!)));
}
