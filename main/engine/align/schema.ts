// The zod schemas of alignment requests (the Align screen, the CLI and the API send them), for api.ts to reuse.
import { z } from 'zod';
import { ALIGN_METHODS, REPAIR_METHODS } from './methods';

const File = z.string().min(1).max(4096);
const positiveInt = z.number().int().positive();
/** Layer matching edits per other model: reference tensor name → that model's tensor name. */
const Renames = z.record(z.string(), z.string());

export const AlignRequestSchema = z.object({
  reference: File,
  others: z.array(File).min(1).max(16),
  method: z.enum(ALIGN_METHODS),
  /** Activation matching's data sample (a dataset spec). */
  dataset: z.string().min(1).optional(),
  samples: positiveInt.max(100_000).optional(),
  seed: z.number().int().optional(),
  arch: z.string().optional(),
  graph: File.optional(),
  /** Per other model (same order): its layer matching edits. */
  rename: z.array(Renames).optional(),
  /** Where the aligned models and alignment.json go (default: the run's own folder in the workspace). */
  outDir: File.optional(),
  /** Replace aligned files that exist in outDir (refused otherwise, before anything runs). */
  overwrite: z.boolean().optional(),
  threads: positiveInt.max(256).optional(),
}).strict();
export type AlignRequest = z.infer<typeof AlignRequestSchema>;

export const CurveRequestSchema = z.object({
  a: File,
  b: File,
  /** Where the curve is measured (mnist:test). */
  dataset: z.string().min(1),
  steps: z.number().int().min(2).max(101).default(11),
  aligns: z.array(z.enum(ALIGN_METHODS)).min(1).max(3).default(['none', 'weight']),
  repair: z.enum(REPAIR_METHODS).default('none'),
  /** Data for activation matching and repair (default: mnist:train for an MNIST curve, else the dataset). */
  sampleDataset: z.string().min(1).optional(),
  samples: positiveInt.max(100_000).optional(),
  seed: z.number().int().optional(),
  arch: z.string().optional(),
  graph: File.optional(),
  rename: Renames.optional(),
  threads: positiveInt.max(256).optional(),
}).strict();
export type CurveRequest = z.input<typeof CurveRequestSchema>;

export const LayerMatchRequestSchema = z.object({ reference: File, others: z.array(File).min(1).max(16), rename: z.array(Renames).optional() }).strict();
