// Models the Load screen has open: kept open so per-tensor statistics read just that tensor on demand.
import { sourceName } from '../formats/model-folder';
import { openModel } from '../formats/registry';
import type { ModelSource } from '../formats/types';
import { describeSource, type ModelInspection } from '../inspect';
import { statsOf, type TensorStats } from '../tensor/stats';

export interface LoadedModel { modelId: string; path: string; fileName: string; inspection: ModelInspection }

export class OpenModels {
  private readonly sources = new Map<string, ModelSource>();
  private next = 1;

  async open(file: string): Promise<LoadedModel> {
    const source = await openModel(file);
    try {
      const inspection = await describeSource(source);
      const modelId = `model-${this.next++}`;
      this.sources.set(modelId, source);
      // A model folder is named by the folder: a recipe made of it merges into a folder with its config and tokenizer.
      return { modelId, path: source.folder ?? source.path, fileName: sourceName(source), inspection };
    } catch (err) {
      await source.close();
      throw err;
    }
  }

  async stats(modelId: string, name: string): Promise<TensorStats> {
    const tensor = this.get(modelId).tensors.find((t) => t.name === name);
    if (!tensor) throw new Error(`${modelId} has no tensor named ${name}`);
    // Statistics are only as true as the bytes: the stored checksum of this tensor's record is checked too.
    const source = this.get(modelId);
    const problems = source.verify ? await source.verify({ data: true, tensors: [name] }) : [];
    if (problems.length) throw new Error(`${source.path} is damaged: ${problems.join('; ')} — copy or download it again`);
    return statsOf(tensor);
  }

  async close(modelId: string): Promise<boolean> {
    const s = this.sources.get(modelId);
    if (!s) return false;
    this.sources.delete(modelId);
    await s.close();
    return true;
  }

  get(modelId: string): ModelSource {
    const s = this.sources.get(modelId);
    if (!s) throw new Error(`no open model ${modelId}; open the file again`);
    return s;
  }
}
