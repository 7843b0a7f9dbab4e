import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { listFormats, openModel, writerFor } from '../../../main/engine/formats/registry';
import { ModelFileError } from '../../../main/engine/formats/types';
import { inspectModel } from '../../../main/engine/inspect';
import { expected, fixture, tempDir } from './format-fixtures';

const tmp = tempDir();
afterAll(() => tmp.remove());

async function formatOf(file: string): Promise<string> {
  const s = await openModel(file);
  await s.close();
  return s.format;
}

async function refusal(file: string): Promise<ModelFileError> {
  const err = await openModel(file).then(() => null, (e) => e);
  expect(err).toBeInstanceOf(ModelFileError);
  expect(err.file).toBe(file);
  expect(err.message.startsWith(file)).toBe(true);
  expect(err.hint.length).toBeGreaterThan(0);
  return err;
}

describe('format registry', () => {
  it('picks the reader by content, whatever the extension says', async () => {
    const cases: [string, string, string][] = [
      ['tiny_cnn_b.safetensors', 'weights.onnx', 'safetensors'],
      ['tiny_cnn.onnx', 'model.bin', 'onnx'],
      ['tiny_cnn_b.pt', 'model.safetensors', 'pytorch'],
      ['tiny_cnn.onnx', 'no-extension', 'onnx'],
    ];
    for (const [src, name, format] of cases) {
      const file = tmp.file(name);
      copyFileSync(fixture(src), file);
      expect(await formatOf(file)).toBe(format);
    }
  });

  it('refuses a file with the wrong magic, naming the file, the problem and what to do', async () => {
    const file = tmp.file('notes.safetensors');
    writeFileSync(file, 'these are my notes, not a model\n');
    const err = await refusal(file);
    expect(err.problem).toMatch(/named like a safetensors file but its content is not one/);
    expect(err.hint).toMatch(/safetensors.*ONNX.*PyTorch/);
  });

  it('refuses a missing file, an empty file and a folder', async () => {
    expect((await refusal(tmp.file('absent.pt'))).problem).toBe('does not exist');
    const empty = tmp.file('empty.onnx');
    writeFileSync(empty, '');
    expect((await refusal(empty)).problem).toBe('is empty');
    const dir = tmp.file('folder.safetensors');
    mkdirSync(dir);
    expect((await refusal(dir)).problem).toMatch(/is a folder/);
  });

  it('chooses writers by output extension and refuses unknown ones', () => {
    expect(writerFor('/x/out.safetensors').id).toBe('safetensors');
    expect(writerFor('/x/OUT.ONNX').id).toBe('onnx');
    expect(writerFor('/x/out.pt').id).toBe('pytorch');
    expect(writerFor('/x/out.pth').id).toBe('pytorch');
    expect(() => writerFor('/x/out.h5')).toThrow(ModelFileError);
    expect(() => writerFor('/x/out.h5')).toThrow(/\.h5, which is not a format this app writes/);
  });

  it('lists the three formats with what each reads and writes', () => {
    const formats = listFormats();
    expect(formats.map((f) => f.id).sort()).toEqual(['onnx', 'pytorch', 'safetensors']);
    const st = formats.find((f) => f.id === 'safetensors')!;
    expect(st.readExtensions).toContain('.safetensors.index.json');
    expect(st.writeExtensions).toEqual(['.safetensors']);
  });
});

describe('inspectModel', () => {
  it('summarises an ONNX export: tensors, graph, counts, dtype mix', async () => {
    const info = await inspectModel(fixture('tiny_cnn.onnx'));
    expect(Object.keys(info).slice(0, 4)).toEqual(['format', 'tensors', 'tied', 'metadata']);
    expect(info.format).toBe('onnx');
    expect(info.tensors).toEqual(Object.entries(expected.a.tensors).map(([name, t]) => ({ name, dtype: 'f32', shape: t.shape })));
    const params = Object.values(expected.a.tensors).reduce((n, t) => n + t.values.length, 0);
    expect(info.parameterCount).toBe(params);
    expect(info.byteSize).toBe(params * 4);
    expect(info.dtypeMix).toEqual({ f32: params });
    expect(info.graph!.nodes).toHaveLength(7);
  });

  it('shows tied weights of a PyTorch save as one group, counted once', async () => {
    const info = await inspectModel(fixture('tied.pt'));
    expect(info.format).toBe('pytorch');
    expect(info.tied).toEqual([['embed.weight', 'head.weight']]);
    expect(info.parameterCount).toBe(15 + 5);
    expect(info.graph).toBeUndefined();
  });
});
