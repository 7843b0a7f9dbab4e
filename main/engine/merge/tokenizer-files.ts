// A model folder's tokenizer as files: which ones mergekit copies beside a merge (merge.py's _copy_tokenizer),
// the vocabulary a tokenizer.json defines (token → id), where two vocabularies differ, and a folder's chat
// template. Only read here; nothing of a tokenizer is ever run.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';

/** The files mergekit copies as a model's tokenizer, in its order. */
export const TOKENIZER_FILES = [
  'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer.model', 'added_tokens.json', 'merges.txt',
  'chat_template.jinja', 'generation_config.json', 'chat_template.json', 'video_preprocessor_config.json',
] as const;

/** A tokenizer.json is a few MB; anything much bigger is not one. */
const MAX_TOKENIZER_BYTES = 256 << 20;

/** The tokenizer files a folder has, when it has a tokenizer (tokenizer_config.json and tokenizer.json or tokenizer.model), as mergekit asks. */
export function tokenizerFilesIn(dir: string): string[] {
  const has = (n: string) => existsSync(path.join(dir, n));
  if (!has('tokenizer_config.json') || !(has('tokenizer.json') || has('tokenizer.model'))) return [];
  return TOKENIZER_FILES.filter(has);
}

async function readJson(file: string): Promise<unknown> {
  const st = await fs.stat(file);
  if (st.size > MAX_TOKENIZER_BYTES) throw new Error(`${file} is ${st.size} bytes, too big for a tokenizer file`);
  return JSON.parse(await fs.readFile(file, 'utf8'));
}

/**
 * The vocabulary of a folder's tokenizer.json: its model's vocab (a {token: id} map for BPE, WordLevel and
 * WordPiece; a [token, score] list for Unigram, ids by position) and its added tokens. Undefined without one.
 */
export async function vocabularyOf(dir: string): Promise<Map<string, number> | undefined> {
  const file = path.join(dir, 'tokenizer.json');
  if (!existsSync(file)) return undefined;
  const json = await readJson(file) as { model?: { vocab?: unknown }; added_tokens?: { id: number; content: string }[] };
  const vocab = new Map<string, number>();
  const v = json.model?.vocab;
  if (Array.isArray(v)) v.forEach((entry, i) => vocab.set(String(Array.isArray(entry) ? entry[0] : entry), i));
  else if (v && typeof v === 'object') for (const [t, id] of Object.entries(v as Record<string, number>)) vocab.set(t, Number(id));
  for (const a of json.added_tokens ?? []) vocab.set(a.content, a.id);
  return vocab;
}

/** Where vocabulary `b` differs from `a`, in words, one entry per token (a missing token, or another id). */
export function vocabularyDifferences(a: Map<string, number>, b: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [t, id] of a) {
    const other = b.get(t);
    if (other === undefined) out.push(`${JSON.stringify(t)} (only in the first)`);
    else if (other !== id) out.push(`${JSON.stringify(t)} (id ${id} against ${other})`);
  }
  for (const t of b.keys()) if (!a.has(t)) out.push(`${JSON.stringify(t)} (only in the second)`);
  return out;
}

/** A folder's chat template: chat_template.jinja, else tokenizer_config.json's chat_template (its "default" when several). */
export async function chatTemplateOf(dir: string): Promise<string | undefined> {
  const jinja = path.join(dir, 'chat_template.jinja');
  if (existsSync(jinja)) return (await fs.readFile(jinja, 'utf8')).trim() || undefined;
  const cfgFile = path.join(dir, 'tokenizer_config.json');
  if (!existsSync(cfgFile)) return undefined;
  const t = (await readJson(cfgFile) as { chat_template?: unknown }).chat_template;
  if (typeof t === 'string') return t.trim() || undefined;
  if (Array.isArray(t)) {
    const d = t.find((x: { name?: string; template?: string }) => x?.name === 'default') as { template?: string } | undefined;
    return d?.template?.trim() || undefined;
  }
  return undefined;
}

/** mergekit's built-in templates, chosen by name; not bundled here. */
export const NAMED_CHAT_TEMPLATES = ['alpaca', 'chatml', 'exaone', 'llama3', 'mistral'];

/**
 * The chat template to write, from a recipe's `chat_template` (merge.py's _set_chat_template): `auto` takes the
 * one most of the models have (the first of those tied), anything else is the template itself; a string that
 * is too short or has no `{` is refused, as mergekit refuses it. `templates`: each input model's, in order.
 */
export function chooseChatTemplate(setting: string, templates: (string | undefined)[]): { template?: string; problem?: string } {
  if (setting === 'auto') {
    const counts = new Map<string, number>();
    for (const t of templates) if (t) counts.set(t, (counts.get(t) ?? 0) + 1);
    let best: string | undefined;
    for (const [t, n] of counts) if (best === undefined || n > counts.get(best)!) best = t;
    return { template: best };
  }
  if (NAMED_CHAT_TEMPLATES.includes(setting)) return { problem: `chat_template "${setting}" names one of mergekit's built-in templates, which are not bundled here; give the template itself (its Jinja text), or auto` };
  if (setting.length < 20 || !setting.includes('{')) return { problem: `chat_template "${setting}" is not a chat template (mergekit refuses it too): give the Jinja text, or auto` };
  return { template: setting };
}
