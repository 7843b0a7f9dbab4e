// What comparisons, soups and searches are asked and what they answer (plain JSON: job results, eval.json).
import { z } from 'zod';

export const ModelRefSchema = z.object({
  path: z.string().min(1).max(4096),
  arch: z.string().min(1).max(64).optional(),
  graph: z.string().min(1).max(4096).optional(),
  label: z.string().min(1).max(200).optional(),
}).strict();

const index = z.number().int().min(0);

export const CompareRequestSchema = z.object({
  models: z.array(ModelRefSchema).min(1).max(32),
  /** The labelled data to evaluate on (a dataset spec, docs/datasets.md). */
  dataset: z.string().min(1).max(4096),
  /** Interpolation curves between models a and b (indices into models). */
  curve: z.object({ a: index, b: index, steps: z.number().int().min(2).max(101).optional(), kinds: z.array(z.string()).optional() }).strict().optional(),
  /** Per-tensor weight differences between models a and b. */
  diff: z.object({ a: index, b: index }).strict().optional(),
  /** The ensemble baseline beside the merge (default on when there are two or more parents). */
  ensemble: z.boolean().optional(),
  title: z.string().max(200).optional(),
  batchSize: z.number().int().min(1).max(65536).optional(),
  threads: z.number().int().min(1).max(256).optional(),
}).strict();
export type CompareRequest = z.infer<typeof CompareRequestSchema>;

export interface InputFile { path: string; sha256: string; bytes: number }

export interface CompareRow {
  id: string;
  kind: 'model' | 'merge' | 'ensemble';
  label: string;
  path?: string;
  sha256?: string;
  accuracy: number;
  loss: number;
  n: number;
  /** Accuracy per class, in the order of CompareResult.classes. */
  perClass: number[];
  confusion: number[][];
  /** Agreement with each parent (CompareResult.parents), in that order. */
  agreement: number[];
  /** For merges: the recipe and the parents (with hashes) that made it. */
  merge?: { runDir?: string; recipeYaml?: string; method?: string; parents: { role: string; name: string; path?: string; sha256?: string }[]; params: Record<string, string> };
  /** For the ensemble: which rows it averages. */
  members?: number[];
  notes: string[];
}

export interface CompareResult {
  title: string;
  dataset: { spec: string; id: string; size: number; numClasses: number };
  classes: string[];
  rows: CompareRow[];
  /** Rows the agreement columns compare against: the merges' parents (or every model when there is no merge). */
  parents: number[];
  /** Per column, the best row: accuracy and per-class accuracy highest, loss lowest. */
  best: { accuracy: number; loss: number; perClass: number[] };
  /** Seed 002's chart: the first merge whose parents are all selected, its parents as points. */
  checkpoints?: { merge: number; points: { row: number; label: string; x: number; accuracy: number }[]; xTitle: string; mean: number };
  curves?: { a: number; b: number; series: { kind: string; name: string; alphas: number[]; accuracy: number[]; loss: number[]; barrier: { loss: number; alpha: number; accuracy: number } }[]; errors: string[] };
  diff?: { a: number; b: number; tensors: { name: string; shape: number[]; cosine: number; relativeL2: number }[]; skipped: string[] };
  /** Merges placed by two recipe parameters that vary between them. */
  grid?: { x: string; y: string; params: string[]; cells: { row: number; x: string; y: string; accuracy: number; label: string }[] };
  /** When the merge and the ensemble coincide (seed 003), in words. */
  note: string;
  inputs: InputFile[];
  runDir?: string;
  report?: string;
  seconds: number;
}

export const SoupRequestSchema = z.object({
  models: z.array(ModelRefSchema).min(2).max(64),
  /** The held-out split the soup is chosen on (not the test split). */
  heldout: z.string().min(1).max(4096),
  /** Reported, never used to choose. */
  test: z.string().min(1).max(4096).optional(),
  kind: z.enum(['uniform', 'greedy']),
  /** Where the soup is written (default: in the soup's run folder). */
  output: z.string().min(1).max(4096).optional(),
  /** Replace `output` when it exists (refused otherwise, before anything runs). */
  overwrite: z.boolean().optional(),
  threads: z.number().int().min(1).max(256).optional(),
}).strict();
export type SoupRequest = z.infer<typeof SoupRequestSchema>;

export interface SoupStep { model: number; label: string; heldout: number; soupHeldout: number; added: boolean }

export interface SoupResult {
  kind: 'uniform' | 'greedy';
  heldout: string;
  test?: string;
  /** Each model alone: held-out (and test) accuracy, sorted as the greedy soup tries them. */
  models: { label: string; path: string; heldout: number; test?: number }[];
  order: number[];
  steps: SoupStep[];
  ingredients: number[];
  soup: { path: string; sha256: string; heldout: number; heldoutLoss: number; test?: number; testLoss?: number; mergeRunDir?: string };
  runDir?: string;
  seconds: number;
}

const SearchDimensionSchema = z.object({
  /** alpha (weights 1−α, α and SLERP's t), method, parameters.NAME, or weights.I (model I's weight). */
  name: z.string().min(1).max(100),
  min: z.number().optional(),
  max: z.number().optional(),
  /** Exact values to try (numbers, or method names for `method`). */
  values: z.array(z.union([z.number(), z.string()])).min(1).max(100).optional(),
}).strict().refine((d) => d.values !== undefined || (d.min !== undefined && d.max !== undefined && d.min <= d.max), { message: 'give values, or min ≤ max' });

export const SearchRequestSchema = z.object({
  /** The recipe to vary (as the Scheme screen holds it); its output is where the best merge is written. */
  recipe: z.record(z.string(), z.unknown()),
  baseDir: z.string().max(4096).optional(),
  dimensions: z.array(SearchDimensionSchema).min(1).max(4),
  /** Evaluations at most. */
  budget: z.number().int().min(1).max(500),
  strategy: z.enum(['grid', 'random']).default('grid'),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
  heldout: z.string().min(1).max(4096),
  test: z.string().min(1).max(4096).optional(),
  threads: z.number().int().min(1).max(256).optional(),
}).strict();
export type SearchRequest = z.input<typeof SearchRequestSchema>;
export type SearchDimension = z.infer<typeof SearchDimensionSchema>;

export interface SearchTrial { trial: number; values: Record<string, number | string>; accuracy: number; loss: number; label: string; error?: string }

export interface SearchResult {
  strategy: 'grid' | 'random';
  heldout: string;
  test?: string;
  dimensions: SearchDimension[];
  trials: SearchTrial[];
  best: SearchTrial;
  /** The best recipe, written by the real merge engine, and its held-out / test accuracy. */
  output: { path: string; sha256: string; recipe: Record<string, unknown>; heldout: number; test?: number; mergeRunDir?: string };
  runDir?: string;
  seconds: number;
}

/** What the history calls answer (compare/history.ts), for the API contract. */
export const RunSummarySchema = z.object({
  dir: z.string(), name: z.string(), id: z.string(), label: z.string(), kind: z.string(), status: z.string(), startedAt: z.string().optional(), seconds: z.number().optional(),
  title: z.string(), accuracy: z.number().optional(), outputs: z.array(z.string()), inputs: z.array(z.string()), error: z.string().optional(),
});
export const RunDetailSchema = RunSummarySchema.extend({
  record: z.record(z.string(), z.unknown()),
  recipeYaml: z.string().optional(),
  log: z.array(z.string()),
  evaluation: z.unknown().optional(),
  epochs: z.array(z.record(z.string(), z.unknown())),
  steps: z.array(z.object({ step: z.number(), loss: z.number(), accuracy: z.number().optional() })),
  files: z.array(z.object({ name: z.string(), bytes: z.number() })),
  hasReport: z.boolean(),
});

export const DemoRequestSchema = z.object({
  epochs: z.number().int().min(2).max(100).optional(),
  keepFrom: z.number().int().min(1).max(99).optional(),
  seed: z.number().int().min(0).optional(),
  threads: z.number().int().min(1).max(256).optional(),
}).strict();

/** The loss plane through three models (compare/plane.ts); here, beside the other requests, so the contract stays free of engine code. */
export const PlaneRequestSchema = z.object({
  /** A, B and C: the plane is the one through their weights. */
  models: z.array(ModelRefSchema).length(3),
  /** Other models of the same layout (merges) shown at their projections onto the plane. */
  marks: z.array(ModelRefSchema).max(16).optional(),
  dataset: z.string().min(1).max(4096),
  /** Points per axis (default 11: 121 evaluations). */
  grid: z.number().int().min(2).max(41).optional(),
  /** Room around the models, as a fraction of their extent on each axis (default 0.2, as Garipov et al.'s plots). */
  margin: z.number().min(0).max(2).optional(),
  /** Examples evaluated at every point: the first N of the dataset (default: all). */
  samples: z.number().int().min(1).optional(),
  batchSize: z.number().int().min(1).max(65536).optional(),
  threads: z.number().int().min(1).max(256).optional(),
}).strict();
export type PlaneRequest = z.infer<typeof PlaneRequestSchema>;
