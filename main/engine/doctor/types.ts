// What the merge doctor is asked and what it answers (plain JSON: the job's result, `doctor --json`).
import { z } from 'zod';

const FilePath = z.string().min(1).max(4096);

export const DoctorRequestSchema = z.object({
  /** The planned merge as the Scheme screen has it (a recipe value, checked by merge/recipe.ts)… */
  recipe: z.record(z.string(), z.unknown()).optional(),
  /** …with relative paths against this folder; */
  baseDir: FilePath.optional(),
  /** or models (and a base) to check as a mean (TIES with a base). */
  models: z.array(FilePath).max(32).optional(),
  base: FilePath.optional(),
  /** Labelled data for the probe of the midpoint (a dataset spec); no probe without it. */
  dataset: z.string().min(1).max(4096).optional(),
  /** Samples the probe evaluates on (the first N of the dataset). */
  samples: z.number().int().min(1).max(100_000).optional(),
  /** For bare weights in the probe: a built-in architecture or an ONNX graph. */
  arch: z.string().min(1).max(64).optional(),
  graph: FilePath.optional(),
}).strict().refine((r) => (r.recipe === undefined) !== (r.models === undefined), { message: 'give a recipe or models, not both' });
export type DoctorRequest = z.infer<typeof DoctorRequestSchema>;

export interface DoctorModel { name: string; path: string; role: 'model' | 'base' }

export interface PairStats {
  a: string;
  b: string;
  /** Cosine of the two models' weights (matrices only: biases and norms start equal in every init). */
  weight_cosine: number;
  /** ‖θa − θb‖ / rms(‖θa‖, ‖θb‖). */
  relative_distance: number;
  shared_init: boolean;
}

export interface Lineage {
  /** The model the others were fine-tuned from: given (--base) or found; null when it cannot be told. */
  base: string | null;
  base_given: boolean;
  /** Groups of models (two or more) that share an initialisation. */
  shared_init: string[][];
  /** Models independent of the main group: their units must be permuted onto it before merging. */
  needs_alignment: string[];
  pairs: PairStats[];
  /** Cosine of the task vectors (θ − θ_base) of each pair of the base's fine-tunes. */
  task_vectors: { a: string; b: string; cosine: number }[];
  /** Tensors compared (those every model has with the same shape). */
  tensors: number;
  notes: string[];
}

export interface LayerInterference {
  name: string;
  /** Where two or more trimmed task vectors change a weight, the fraction where they disagree in sign (TIES). */
  sign_conflict: number;
  /** Mean cosine of the task vectors of each pair of models, in this layer. */
  cosine: number;
  parameters: number;
}

export interface ProbeScore { name: string; accuracy: number; loss: number }

export interface Probe {
  dataset: string;
  samples: number;
  models: ProbeScore[];
  /** The plain mean of the models. */
  naive?: ProbeScore;
  /** The mean after weight matching the others onto the first (when alignment is recommended). */
  aligned?: ProbeScore;
  /** BatchNorm statistics recomputed on the samples for the midpoints. */
  bn_reset: boolean;
  error?: string;
}

export interface DoctorResult {
  models: DoctorModel[];
  compatibility: { ok: boolean; method: string; blocking: string[]; warnings: string[]; merged: number; copied: number };
  /** The merge's peak memory (merge/memory-estimate.ts) against this machine's free memory; its time (pre-flight). */
  memory: { peak_bytes: number; free_bytes: number; total_bytes: number; fits: boolean; seconds: number };
  lineage: Lineage | null;
  layers: LayerInterference[];
  /** The TIES density the sign conflicts were measured with. */
  density: number;
  probe?: Probe;
  /** Each finding as a short sentence; the verdict joins them. */
  findings: string[];
  verdict: string;
  seconds: number;
}
