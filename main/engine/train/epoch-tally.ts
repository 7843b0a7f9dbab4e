// The running totals of one epoch (loss, correct answers, steps, time), closed into its EpochRecord.
import type { EpochRecord } from './types';

export class EpochTally {
  private loss = 0;
  private correct = 0;
  private examples = 0;
  private start = 0;
  /** Steps of this epoch done so far. */
  steps = 0;

  begin(): void {
    this.loss = 0; this.correct = 0; this.examples = 0; this.steps = 0;
    this.start = performance.now();
  }

  /** One step's mean loss and number of correct answers out of its `examples`. */
  add(loss: number, correct: number, examples: number): void { this.loss += loss; this.correct += correct; this.examples += examples; }

  /** The epoch so far as a record: mean loss per step, accuracy over every example seen. */
  record(epoch: number, lr: number): EpochRecord {
    return {
      epoch, seconds: (performance.now() - this.start) / 1000, lr,
      loss: this.loss / Math.max(1, this.steps), accuracy: this.correct / Math.max(1, this.examples),
    };
  }
}
