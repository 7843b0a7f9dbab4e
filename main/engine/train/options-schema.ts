// The zod schema of a training request (what the Train screen, the CLI and the API send), for the
// contract in api.ts to reuse. It mirrors TrainOptions with datasets given as specs.
import { z } from 'zod';
import type { TrainOptions } from './trainer';

const positiveInt = z.number().int().positive();

export const LrScheduleSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('constant') }),
  z.object({ type: z.literal('step'), stepSize: positiveInt, gamma: z.number().positive() }),
  z.object({ type: z.literal('cosine'), minLr: z.number().nonnegative().optional() }),
]);

export const TrainRequestSchema = z.object({
  arch: z.string().optional(),
  modelFile: z.string().optional(),
  hidden: z.array(positiveInt).optional(),
  width: positiveInt.optional(),
  dataset: z.string().min(1),
  evalDataset: z.string().optional(),
  epochs: positiveInt,
  batchSize: positiveInt,
  dropLast: z.boolean().optional(),
  shuffle: z.boolean().optional(),
  orderFile: z.string().min(1).optional(),
  optimizer: z.enum(['sgd', 'adam', 'adamw']),
  lr: z.number().positive(),
  momentum: z.number().min(0).max(1).optional(),
  nesterov: z.boolean().optional(),
  weightDecay: z.number().nonnegative().optional(),
  beta1: z.number().min(0).max(1).optional(),
  beta2: z.number().min(0).max(1).optional(),
  schedule: LrScheduleSchema.optional(),
  seed: z.number().int(),
  keepFrom: positiveInt.optional(),
  checkpointEverySteps: positiveInt.optional(),
  initFrom: z.string().optional(),
  threads: positiveInt.optional(),
  provider: z.enum(['cpu', 'cuda', 'dml']).optional(),
  outDir: z.string().min(1),
  stepsPerCall: positiveInt.optional(),
  /** Train into an outDir that holds an earlier run's files, replacing them (refused otherwise). */
  overwrite: z.boolean().optional(),
}).refine((o) => !!o.arch !== !!o.modelFile, { message: 'give either an architecture or a model file to fine-tune' })
  .refine((o) => !(o.orderFile && o.shuffle === false), { message: 'give an order file or shuffle: false, not both (the file sets the order)' });

export type TrainRequest = z.infer<typeof TrainRequestSchema>;

export const TrainPairRequestSchema = z.object({
  a: TrainRequestSchema,
  b: TrainRequestSchema,
  coupling: z.object({ lambda: z.number().nonnegative(), perTensor: z.record(z.string(), z.number().nonnegative()).optional() }).optional(),
});
export type TrainPairRequest = z.infer<typeof TrainPairRequestSchema>;

// A request is a valid TrainOptions (compile-time check that the two stay in step).
const _sameShape: (r: TrainRequest) => TrainOptions = (r) => r;
void _sameShape;
