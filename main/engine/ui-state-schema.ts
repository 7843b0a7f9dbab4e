// What the wizard keeps per workspace between navigation, reloads and restarts (<workspace>/.merge-studio/
// ui-state.json): open models by path, the Align, Scheme and Train forms, the Compare selection and the last
// results as references (job ids, run folders, a search's one-line best) — settings and paths, never file
// contents. Versioned: a file of another version is ignored, never half-read. On the ground floor, apart from
// the API contract, so that both the engine and the renderer validate with the same schema.
import { z } from 'zod';

export const UI_STATE_VERSION = 1;
/** More than a wizard's settings ever need; a bigger state is refused rather than written. */
export const UI_STATE_MAX_BYTES = 2 * 1024 * 1024;

const Path = z.string().max(4096);
const Text = z.string().max(4096);
// A form's number may be NaN or ±Infinity while the user types ("1e999"): accepted as it is, and since JSON
// writes those as null, null comes back as NaN.
const Num = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' }).or(z.null().transform(() => Number.NaN));
const ParamValue = z.union([Num, z.boolean(), Text]);
const Loose = z.record(z.string(), z.unknown());

const SchemeFormSchema = z.object({
  source: z.enum(['models', 'checkpoints']),
  models: z.array(z.object({ path: Path, weight: Num, use: z.boolean(), parameters: z.record(z.string(), ParamValue).optional() })).max(1000),
  base: Path,
  checkpoints: z.object({ dir: Path, mode: z.enum(['last', 'range']), last: Num, from: Num, to: Num }),
  method: Text,
  params: z.record(z.string(), ParamValue),
  groups: z.array(z.object({ match: Text, action: z.enum(['merge', 'from', 'exclude', 'weights']), from: Num, weights: z.array(Text) })),
  extraLayers: z.array(Loose).optional(),
  data: z.object({ perModel: z.boolean(), dataset: Text, datasets: z.record(z.string(), Text), samples: Num, arch: Text }).optional(),
  slices: z.array(Loose).optional(),
  output: z.object({ path: Path, dtype: z.enum(['f32', 'f16', 'bf16', 'f64']) }),
  outputExtras: Loose.optional(),
});

const AlignChoiceSchema = z.object({
  method: z.enum(['none', 'weight', 'activation']),
  dataset: Text,
  samples: Num,
  repair: z.enum(['none', 'reset', 'repair']),
  rename: z.record(z.string(), z.record(z.string(), Text)),
  exclude: z.array(Text),
});

const TrainFormSchema = z.object({
  arch: Text, modelFile: Path, hidden: Text, width: Text, dataset: Text, task: Text, evalDataset: Text,
  epochs: Num, batchSize: Num, optimizer: z.enum(['sgd', 'adam', 'adamw']), lr: Num, momentum: Num, nesterov: z.boolean(),
  weightDecay: Num, schedule: Text, seed: Num, keepFrom: Num, provider: Text, threads: Num, outDir: Path,
  pair: z.boolean(), taskB: Text, coupleLambda: Num,
});

/** A job of this engine: kept on restore only while the engine still knows a job of that id, kind and start. */
const JobRefSchema = z.object({ id: z.string().max(100), kind: z.string().max(40), startedAt: z.number().optional() });

/** The last search in one line: what it found best and where it wrote it. */
const SearchSummarySchema = z.object({
  best: Text, heldout: Num, test: Num.optional(), output: Path, runDir: Path.optional(), tries: Num,
});

export const UiStateSchema = z.object({
  version: z.literal(UI_STATE_VERSION),
  step: z.enum(['train', 'load', 'align', 'scheme', 'run', 'compare']),
  /** Open models in the order they were added; `selected` is the path of the one shown. */
  models: z.object({ paths: z.array(Path).max(1000), selected: Path.nullable() }),
  alignment: AlignChoiceSchema.nullable(),
  schemeForm: SchemeFormSchema.nullable(),
  mergeJob: JobRefSchema.nullable(),
  compare: z.object({
    models: z.array(z.object({ path: Path, arch: Text.optional(), label: Text.optional() })).max(1000),
    job: JobRefSchema.nullable(),
    /** The last comparison's run folder: its eval.json shows the table again after a restart. */
    runDir: Path.nullable(),
  }),
  search: z.object({ job: JobRefSchema.nullable(), summary: SearchSummarySchema.nullable() }),
  train: z.object({ form: TrainFormSchema.nullable(), job: JobRefSchema.nullable() }),
});
export type UiState = z.infer<typeof UiStateSchema>;
export type UiStateInput = z.input<typeof UiStateSchema>;

/** Bytes of the state as written (UTF-8 JSON). */
export function uiStateBytes(state: unknown): number {
  return new TextEncoder().encode(JSON.stringify(state)).byteLength;
}

/** Why a state may not be saved (too big), or null. */
export function uiStateTooBig(state: unknown): string | null {
  const bytes = uiStateBytes(state);
  if (bytes <= UI_STATE_MAX_BYTES) return null;
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `The screens' settings are too big to keep (${mb(bytes)}; at most ${mb(UI_STATE_MAX_BYTES)}). They stay as they are until the app closes, but will not come back after a reload.`;
}

/** A saved state read back: the state, or null with what was wrong in words (another version, damaged). */
export function readUiState(raw: unknown): { state: UiState | null; problem?: string } {
  if (raw === null || typeof raw !== 'object') return { state: null, problem: 'it is not a saved state' };
  const version = (raw as { version?: unknown }).version;
  if (version !== UI_STATE_VERSION) {
    return { state: null, problem: `it was saved by another version of Merge Studio (format ${JSON.stringify(version ?? null)}, this one reads ${UI_STATE_VERSION})` };
  }
  const parsed = UiStateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { state: null, problem: `it is damaged (${issue.path.join('.') || 'state'}: ${issue.message})` };
  }
  return { state: parsed.data };
}
