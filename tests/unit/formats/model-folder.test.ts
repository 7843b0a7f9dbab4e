// Hugging Face model folders open as their weights (single file, sharded index, pytorch_model.bin), in
// mergekit's order; the HF cache's repo folder opens through refs/main; an "org/name" id finds it in the cache.
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findInHfCache, hfHubCache, isHfRepoId, modelFileOf, resolveModelFolder } from '../../../main/engine/formats/model-folder';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import { OpenModels } from '../../../main/engine/loaded/openModels';
import { ModelFileError } from '../../../main/engine/formats/types';
import { toFloat32 } from '../../../main/engine/tensor/dtypes';
import { tempDir } from './format-fixtures';

const tmp = tempDir();
afterAll(() => tmp.remove());

const TENSORS = [
  { name: 'model.embed_tokens.weight', shape: [3, 2], values: [1, 2, 3, 4, 5, 6] },
  { name: 'model.layers.0.mlp.up_proj.weight', shape: [2, 2], values: [0.5, -0.5, 0.25, 1] },
  { name: 'model.norm.weight', shape: [2], values: [1, 1] },
];

async function write(file: string, tensors = TENSORS): Promise<void> {
  const session = await writerFor(file).begin(file, tensors.map((t) => ({ name: t.name, dtype: 'f32', shape: t.shape })));
  for (const t of tensors) await session.writeTensor(t.name, new Uint8Array(Float32Array.from(t.values).buffer));
  await session.finish();
}

function folder(name: string): string {
  const dir = tmp.file(name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], num_hidden_layers: 1 }));
  return dir;
}

async function valuesOf(p: string): Promise<{ names: string[]; folder?: string; first: number[]; notes: string[] }> {
  const s = await openModel(p);
  try {
    return { names: s.tensors.map((t) => t.name), folder: s.folder, first: Array.from(toFloat32(await s.tensors[0].read(), s.tensors[0].dtype)), notes: s.notes };
  } finally {
    await s.close();
  }
}

describe('model folders', () => {
  it('opens config.json + model.safetensors as the model, naming the folder', async () => {
    const dir = folder('single');
    await write(path.join(dir, 'model.safetensors'));
    const v = await valuesOf(dir);
    expect(v.names).toEqual(TENSORS.map((t) => t.name));
    expect(v.folder).toBe(dir);
    expect(v.notes[0]).toBe(`model folder ${dir}: weights model.safetensors`);
  });

  it('the Load screen names a folder by its folder (a recipe of it names the folder); its own weights file named directly is the folder\'s', async () => {
    const dir = folder('loaded');
    await write(path.join(dir, 'model.safetensors'));
    const open = new OpenModels();
    const loaded = await open.open(dir);
    expect([loaded.path, loaded.fileName]).toEqual([dir, 'loaded']);
    await open.close(loaded.modelId);
    expect(await modelFileOf(path.join(dir, 'model.safetensors'))).toEqual({ file: path.join(dir, 'model.safetensors'), folder: dir });
    expect(await modelFileOf(tmp.file('elsewhere.safetensors'))).toEqual({ file: tmp.file('elsewhere.safetensors') });
  });

  it('opens a two-shard index, and prefers it to a single file beside it (as mergekit does)', async () => {
    const dir = folder('sharded');
    await write(path.join(dir, 'model-00001-of-00002.safetensors'), TENSORS.slice(0, 2));
    await write(path.join(dir, 'model-00002-of-00002.safetensors'), TENSORS.slice(2));
    const weightMap = Object.fromEntries(TENSORS.map((t, i) => [t.name, `model-0000${i < 2 ? 1 : 2}-of-00002.safetensors`]));
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 48 }, weight_map: weightMap }));
    await write(path.join(dir, 'model.safetensors'), TENSORS.slice(0, 1));
    expect((await resolveModelFolder(dir)).weights).toBe(path.join(dir, 'model.safetensors.index.json'));
    expect((await valuesOf(dir)).names).toEqual(TENSORS.map((t) => t.name));
  });

  it('opens pytorch_model.bin, and a sharded pytorch_model.bin.index.json', async () => {
    const dir = folder('bin');
    await write(path.join(dir, 'pytorch_model.bin'));
    const one = await valuesOf(dir);
    expect(one.first).toEqual([1, 2, 3, 4, 5, 6]);
    const sharded = folder('bin-sharded');
    await write(path.join(sharded, 'pytorch_model-00001-of-00002.bin'), TENSORS.slice(0, 1));
    await write(path.join(sharded, 'pytorch_model-00002-of-00002.bin'), TENSORS.slice(1));
    writeFileSync(path.join(sharded, 'pytorch_model.bin.index.json'), JSON.stringify({ weight_map: Object.fromEntries(TENSORS.map((t, i) => [t.name, `pytorch_model-0000${i < 1 ? 1 : 2}-of-00002.bin`])) }));
    const s = await openModel(sharded);
    expect(s.format).toBe('pytorch');
    expect(s.tensors.map((t) => t.name)).toEqual(TENSORS.map((t) => t.name));
    await s.close();
  });

  it('refuses a folder without weights, naming the model files it does hold', async () => {
    const dir = folder('loose');
    await write(path.join(dir, 'epoch-3.safetensors'));
    const err = await openModel(dir).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect((err as ModelFileError).problem).toMatch(/is a folder with no model\.safetensors\.index\.json, model\.safetensors/);
    expect((err as ModelFileError).hint).toMatch(/epoch-3\.safetensors/);
  });
});

describe('the Hugging Face cache', () => {
  /** <hub>/models--org--tiny/{blobs, refs/main, snapshots/<rev>/ with links into blobs}. */
  async function cacheRepo(hub: string): Promise<string> {
    const repo = path.join(hub, 'models--org--tiny');
    const rev = 'a1b2c3';
    mkdirSync(path.join(repo, 'blobs'), { recursive: true });
    mkdirSync(path.join(repo, 'refs'), { recursive: true });
    mkdirSync(path.join(repo, 'snapshots', rev), { recursive: true });
    mkdirSync(path.join(repo, 'snapshots', 'older'), { recursive: true });
    writeFileSync(path.join(repo, 'refs', 'main'), `${rev}\n`);
    await write(path.join(repo, 'blobs', 'f00d.safetensors'));
    renameSync(path.join(repo, 'blobs', 'f00d.safetensors'), path.join(repo, 'blobs', 'f00d'));
    writeFileSync(path.join(repo, 'blobs', 'c0f1'), '{"num_hidden_layers": 1}');
    symlinkSync('../../blobs/f00d', path.join(repo, 'snapshots', rev, 'model.safetensors'));
    symlinkSync('../../blobs/c0f1', path.join(repo, 'snapshots', rev, 'config.json'));
    return repo;
  }

  it('opens a repo folder through refs/main, its files links into blobs/', async () => {
    const repo = await cacheRepo(tmp.file('hub'));
    const v = await valuesOf(repo);
    expect(v.folder).toBe(path.join(repo, 'snapshots', 'a1b2c3'));
    expect(v.first).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('finds "org/name" in HF_HUB_CACHE, HF_HOME/hub or ~/.cache/huggingface/hub', async () => {
    const hub = tmp.file('hub2');
    const repo = await cacheRepo(hub);
    expect(hfHubCache({ HF_HUB_CACHE: hub })).toBe(hub);
    expect(hfHubCache({ HF_HOME: '/h' })).toBe('/h/hub');
    expect(await findInHfCache('org/tiny', { HF_HUB_CACHE: hub })).toBe(repo);
    expect(await findInHfCache('org/absent', { HF_HUB_CACHE: hub })).toBeUndefined();
    expect(await findInHfCache('../escape', { HF_HUB_CACHE: hub })).toBeUndefined();
    expect(isHfRepoId('Qwen/Qwen2.5-7B')).toBe(true);
    expect(isHfRepoId('run/epoch-3.safetensors')).toBe(false);
    expect(isHfRepoId('a/b/c')).toBe(false);
    const resolved = await modelFileOf(tmp.file('no/such'), { hfId: 'org/tiny', env: { HF_HUB_CACHE: hub } });
    expect(resolved).toEqual({ file: path.join(repo, 'snapshots', 'a1b2c3', 'model.safetensors'), folder: path.join(repo, 'snapshots', 'a1b2c3') });
  });
});
