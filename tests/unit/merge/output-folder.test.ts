// A merge written as a Hugging Face model folder, as mergekit writes one: weights (sharded above a size the
// recipe sets), config.json with the layer count and dtype, the tokenizer files and chat template, a README
// model card with the recipe, mergekit_config.yml.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../../main/engine/formats/registry';
import { parseShardSize, shardSpecs } from '../../../main/engine/formats/sharded-safetensors';
import { silentContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge/executor';
import { importMergekit } from '../../../main/engine/merge/mergekit';
import { runPreflight } from '../../../main/engine/merge/preflight';
import { parseRecipe, type Recipe } from '../../../main/engine/merge/recipe';
import { readModel, tempDir } from './model-files';

const FOLDERS = path.resolve(__dirname, '../../fixtures/merge/mergekit/folders');
const TEMPLATE = '{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}';
const LINEAR = `merge_method: linear
models:
  - {model: a, parameters: {weight: 0.6}}
  - {model: b, parameters: {weight: 0.4}}
tokenizer_source: union
chat_template: "${TEMPLATE}"
dtype: float32
`;

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

async function sameTensors(a: string, b: string): Promise<void> {
  const [x, y] = await Promise.all([readModel(a), readModel(b)]);
  expect([...x.values.keys()].sort()).toEqual([...y.values.keys()].sort());
  for (const [name, v] of y.values) expect(Array.from(x.values.get(name)!)).toEqual(Array.from(v));
}

describe('a mergekit config\'s output is a model folder', () => {
  it('imports with a folder output carrying tokenizer_source and chat_template', () => {
    expect(importMergekit(LINEAR).recipe.output).toEqual({ folder: true, dtype: 'f32', tokenizer: 'union', chat_template: TEMPLATE });
    const toFile = importMergekit(LINEAR, { output: 'o.safetensors' });
    expect(toFile.recipe.output).toEqual({ path: 'o.safetensors', dtype: 'f32' });
    expect(toFile.notCarried.some((n) => n.startsWith('tokenizer_source: the output o.safetensors is one file'))).toBe(true);
    // a model of the config as the tokenizer source is that model (by index)
    expect(importMergekit(LINEAR.replace('tokenizer_source: union', 'tokenizer_source: b')).recipe.output?.tokenizer).toBe(1);
  });

  it('writes weights, config.json, the tokenizer with the chat template, a model card and mergekit_config.yml', async () => {
    const dir = tempDir('of-linear');
    const out = path.join(dir, 'merged');
    const { recipe } = importMergekit(LINEAR, { output: out });
    const result = await runMerge(recipe, silentContext(), { baseDir: FOLDERS });
    expect(readdirSync(out).sort()).toEqual(['README.md', 'chat_template.jinja', 'config.json', 'mergekit_config.yml', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    // the same tensors as the recipe written to one file; the folder opens as a model
    await runMerge({ ...recipe, output: { path: path.join(dir, 'one.safetensors'), dtype: 'f32' } }, silentContext(), { baseDir: FOLDERS });
    await sameTensors(out, path.join(dir, 'one.safetensors'));
    // transformers refuses safetensors whose metadata lacks format: pt
    const src = await openModel(out);
    expect(src.metadata.format).toBe('pt');
    await src.close();
    expect(result.output).toMatchObject({ path: out });
    expect(result.output.sha256).toMatch(/^[0-9a-f]{64}$/);
    // the donor's config (the first model's: there is no base), vocabulary size that of the tokenizer
    expect(json(path.join(out, 'config.json'))).toEqual({ ...json(path.join(FOLDERS, 'a', 'config.json')), torch_dtype: 'float32', vocab_size: 12 });
    expect(readFileSync(path.join(out, 'tokenizer.json'), 'utf8')).toBe(readFileSync(path.join(FOLDERS, 'a', 'tokenizer.json'), 'utf8'));
    expect(readFileSync(path.join(out, 'chat_template.jinja'), 'utf8')).toBe(TEMPLATE);
    expect(json(path.join(out, 'tokenizer_config.json')).chat_template).toBeUndefined();
    const card = readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(card).toMatch(/^---\nbase_model: \[\]\nlibrary_name: transformers\ntags:\n {2}- merge\n {2}- merge-studio\n---\n# merged\n/);
    expect(card).toContain('method: weighted');
    expect(card).toContain('## mergekit configuration');
    // the mergekit config written imports back to the merge's recipe
    const back = importMergekit(readFileSync(path.join(out, 'mergekit_config.yml'), 'utf8'), { output: out }).recipe;
    expect(back).toEqual({ ...recipe, models: recipe.models!.map((m) => ({ ...m, path: path.join(FOLDERS, m.path) })) });
  });

  it('a frankenmerge\'s config.json has its layer count, as mergekit writes it', async () => {
    const out = path.join(tempDir('of-pass'), 'franken');
    await runMerge(importMergekit(readFileSync(path.join(FOLDERS, 'passthrough.yml'), 'utf8'), { output: out }).recipe, silentContext(), { baseDir: FOLDERS });
    expect(json(path.join(out, 'config.json'))).toEqual(json(path.join(FOLDERS, 'passthrough_config.json')));
    expect(json(path.join(out, 'config.json')).num_hidden_layers).toBe(5);
    await sameTensors(out, path.join(FOLDERS, 'passthrough_ref.pt'));
  });

  it('shards above shard_size, named and indexed as Hugging Face does, and opens as the same model', async () => {
    const dir = tempDir('of-shards');
    const base: Recipe = parseRecipe(`method: mean\nmodels: [a, b]\noutput: {path: ${path.join(dir, 'whole')}, folder: true}\n`);
    await runMerge(base, silentContext(), { baseDir: FOLDERS });
    const sharded = { ...base, output: { ...base.output, path: path.join(dir, 'sharded'), shard_size: '10k' } };
    await runMerge(sharded, silentContext(), { baseDir: FOLDERS });
    const names = readdirSync(path.join(dir, 'sharded')).filter((n) => n.endsWith('.safetensors'));
    expect(names.length).toBeGreaterThan(2);
    expect(names.every((n, i) => n === `model-${String(i + 1).padStart(5, '0')}-of-${String(names.length).padStart(5, '0')}.safetensors`)).toBe(true);
    for (const n of names) expect(statSync(path.join(dir, 'sharded', n)).size).toBeLessThan(10000 + 4096); // + its header
    const index = json(path.join(dir, 'sharded', 'model.safetensors.index.json')) as { metadata: { total_size: number }; weight_map: Record<string, string> };
    expect(new Set(Object.values(index.weight_map))).toEqual(new Set(names));
    const whole = await readModel(path.join(dir, 'whole'));
    expect(index.metadata.total_size).toBe([...whole.values.values()].reduce((a, v) => a + 4 * v.length, 0));
    await sameTensors(path.join(dir, 'sharded'), path.join(dir, 'whole'));
    // written again unsharded into the same folder: refused unless asked; with overwrite the old shards and index go
    await expect(runMerge({ ...sharded, output: { ...sharded.output, shard_size: undefined } }, silentContext(), { baseDir: FOLDERS })).rejects.toThrow(/sharded exists; nothing was replaced/);
    await runMerge({ ...sharded, output: { ...sharded.output, shard_size: undefined, overwrite: true } }, silentContext(), { baseDir: FOLDERS });
    expect(readdirSync(path.join(dir, 'sharded')).filter((n) => n.startsWith('model'))).toEqual(['model.safetensors']);
  });

  it('shards as mergekit does: a new shard when the next tensor would pass the limit; a bigger tensor alone', () => {
    const spec = (name: string, n: number) => ({ name, dtype: 'f32' as const, shape: [n] });
    const shards = shardSpecs([spec('a', 10), spec('b', 10), spec('c', 30), spec('d', 5), spec('t', 5)], [['d', 't']], 80);
    expect(shards.map((s) => s.map((x) => x.name))).toEqual([['a', 'b'], ['c'], ['d', 't']]);
    expect(parseShardSize('5B')).toBe(5e9);
    expect(parseShardSize('500M')).toBe(5e8);
    expect(() => parseShardSize('5GB')).toThrow(/not a number of bytes/);
  });
});

describe('what a model folder cannot be written with', () => {
  const preflight = async (text: string, output: string) => runPreflight(importMergekit(text, { output }).recipe, { baseDir: FOLDERS });

  it('vocabularies that differ: refused with a tokenizer source, naming the tokens; copied from the donor without one', async () => {
    const dir = tempDir('of-vocab');
    const text = LINEAR.replace('model: b', 'model: c');
    const report = await preflight(text, path.join(dir, 'out'));
    expect(report.blocking.join('\n')).toMatch(/vocabularies of a and c differ in 4 tokens: "ab" \(only in the first\), "▁a" \(only in the first\), "xy" \(only in the second\), "▁x" \(only in the second\)/);
    const plain = await preflight(text.replace('tokenizer_source: union\n', ''), path.join(dir, 'out'));
    expect(plain.blocking).toEqual([]);
  });

  it('a chat template mergekit refuses, or one of its built-in names, is refused; auto with none among the models writes none', async () => {
    const dir = tempDir('of-template');
    expect((await preflight(LINEAR.replace(`"${TEMPLATE}"`, 'chatml'), path.join(dir, 'o'))).blocking.join('\n')).toMatch(/chatml.*built-in templates, which are not bundled here/);
    expect((await preflight(LINEAR.replace(`"${TEMPLATE}"`, 'hello'), path.join(dir, 'o'))).blocking.join('\n')).toMatch(/"hello" is not a chat template/);
    const auto = await preflight(LINEAR.replace(`"${TEMPLATE}"`, 'auto'), path.join(dir, 'o'));
    expect(auto.blocking).toEqual([]);
    expect(auto.warnings).toContain('chat_template auto: no model has a chat template; none is written');
  });

  it('an output folder that holds an input is refused', async () => {
    const report = await runPreflight(parseRecipe('method: mean\nmodels: [a, b]\noutput: {path: ., folder: true}\n'), { baseDir: path.join(FOLDERS, 'a') });
    expect(report.blocking.join('\n')).toMatch(/the output folder .* holds the input/);
    expect(existsSync(path.join(FOLDERS, 'a', 'README.md'))).toBe(false);
  });

  it('folder keys need folder: true', () => {
    expect(() => parseRecipe('method: mean\nmodels: [a, b]\noutput: {path: o.safetensors, shard_size: 5B}\n')).toThrow(/shard_size is for a model folder output/);
    mkdirSync(tempDir('of-keys'), { recursive: true });
  });
});
