// Small real models for the comparison tests: MLPs trained for one epoch on MNIST, checkpoints kept.
import { silentContext } from '../../../main/engine/job-context';
import { trainModel, type TrainResult } from '../../../main/engine/train';
import { tempDir } from '../train/helpers';

export function trainMlp(seed: number, o: { dataset?: string; epochs?: number; keepFrom?: number; hidden?: number[]; initFrom?: string; outDir?: string; lr?: number } = {}): Promise<TrainResult> {
  return trainModel({
    arch: 'mlp', hidden: o.hidden ?? [32], dataset: o.dataset ?? 'mnist:fit', epochs: o.epochs ?? 1, batchSize: 64, optimizer: 'sgd', lr: o.lr ?? 0.05, momentum: 0.9,
    seed, threads: 2, keepFrom: o.keepFrom ?? 1, outDir: o.outDir ?? tempDir(`mlp-${seed}`), ...(o.initFrom ? { initFrom: o.initFrom } : {}),
  }, silentContext());
}
