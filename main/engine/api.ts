// The API contract: every call with its argument and result schemas, every event type.
// Main and the WebSocket server validate with these; preload, renderer and the WS client import the types.
import { z } from 'zod';
import { CALL_NAMES as NAMES, type CallNameList } from './callNames';
import { TrainPairRequestSchema, TrainRequestSchema } from './train/options-schema';
import { AlignRequestSchema, CurveRequestSchema, LayerMatchRequestSchema } from './align/schema';
import { Environment } from './environment-schema';
import { LABEL_MAX } from './workspace/run-label';
import { CompareRequestSchema, PlaneRequestSchema, DemoRequestSchema, RunDetailSchema, RunSummarySchema, SearchRequestSchema, SoupRequestSchema } from './compare/types';
import { DoctorRequestSchema } from './doctor/types';
import { VerifyRequestSchema } from './merge/verify-request';
import { UI_STATE_MAX_BYTES, UiStateSchema, uiStateBytes } from './ui-state-schema';

export { Environment };

export const JobKind = z.enum(['selftest', 'convert', 'merge', 'train', 'train-pair', 'eval', 'align', 'curve', 'compare', 'soup', 'search', 'demo', 'doctor', 'verify', 'plane']);
export type JobKind = z.infer<typeof JobKind>;

export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof JobStatus>;

export const JobSummary = z.object({
  id: z.string(),
  kind: JobKind,
  title: z.string(),
  status: JobStatus,
  done: z.number(),
  total: z.number(),
  etaSeconds: z.number().nullable(),
  message: z.string().optional(),
  /** What done/total count: "bytes", "steps", "tensors". */
  unit: z.string().optional(),
  /** done/total in words, {done} and {total} standing for the numbers in `unit`: "read {done} of {total} from 3 inputs". */
  label: z.string().optional(),
  error: z.string().optional(),
  result: z.unknown().optional(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
});
export type JobSummary = z.infer<typeof JobSummary>;


export const SelftestParams = z.object({
  steps: z.number().int().min(1).max(1_000_000).default(100),
  stepMs: z.number().min(0).max(60_000).default(50),
  failAt: z.number().int().min(0).optional(),
}).strict();

const Empty = z.object({}).strict();

const TensorRow = z.object({ name: z.string(), dtype: z.string(), shape: z.array(z.number()) });
const GraphValue = z.object({ name: z.string(), dtype: z.string().optional(), shape: z.array(z.union([z.number(), z.string()])).optional() });
export const GraphInfoSchema = z.object({
  inputs: z.array(GraphValue),
  outputs: z.array(GraphValue),
  nodes: z.array(z.object({ name: z.string(), opType: z.string(), inputs: z.array(z.string()), outputs: z.array(z.string()) })),
  opset: z.number().optional(),
});
export const LoadedModel = z.object({
  modelId: z.string(),
  path: z.string(),
  fileName: z.string(),
  inspection: z.object({
    format: z.string(),
    tensors: z.array(TensorRow),
    tied: z.array(z.array(z.string())),
    metadata: z.record(z.string(), z.string()),
    notes: z.array(z.string()),
    graph: GraphInfoSchema.optional(),
    parameterCount: z.number(),
    byteSize: z.number(),
    fileSize: z.number(),
    dtypeMix: z.record(z.string(), z.number()),
    /** What the checks found wrong with the file (engine/inspect.ts); empty or absent when sound. */
    damaged: z.array(z.string()).optional(),
  }),
});
export type LoadedModel = z.infer<typeof LoadedModel>;
export const TensorStatsSchema = z.object({
  count: z.number(), min: z.number().nullable(), max: z.number().nullable(), mean: z.number().nullable(),
  std: z.number().nullable(), zeros: z.number(), nan: z.number(), inf: z.number(),
});
export type TensorStatsResult = z.infer<typeof TensorStatsSchema>;
export const BrowseResult = z.object({
  dir: z.string(),
  parent: z.string().nullable(),
  roots: z.array(z.string()),
  entries: z.array(z.object({ name: z.string(), path: z.string(), kind: z.enum(['dir', 'file']), size: z.number(), modelLike: z.boolean() })),
});
export type BrowseResult = z.infer<typeof BrowseResult>;
const FilePath = z.string().min(1).max(4096);

/** A recipe as the GUI sends it: checked in full by the engine's recipe validator (merge/recipe.ts). */
const RecipeValue = z.record(z.string(), z.unknown());
/** A method parameter's value: a number, a switch (normalize) or a named choice (rescale: l1). */
const ParamValue = z.union([z.number(), z.boolean(), z.string()]);
export const MethodInfoSchema = z.object({
  id: z.string(), label: z.string(), formula: z.string(), whenToUse: z.string(),
  needsBase: z.boolean(), acceptsBase: z.boolean(), minModels: z.number(), maxModels: z.number().optional(),
  usesWeights: z.boolean(), normalizesWeights: z.boolean(), needsData: z.boolean().optional(),
  params: z.array(z.object({
    name: z.string(), kind: z.enum(['number', 'boolean', 'choice']), default: ParamValue, min: z.number(), max: z.number(), step: z.number(),
    bounded: z.boolean(), integer: z.boolean(), choices: z.array(z.string()).optional(), perModel: z.boolean(), description: z.string(),
  })),
});
export type MethodInfo = z.infer<typeof MethodInfoSchema>;
const PreflightModelSchema = z.object({ path: z.string(), name: z.string(), format: z.string(), tensors: z.number(), bytes: z.number(), notes: z.array(z.string()) });
export const PreflightSchema = z.object({
  method: z.string(),
  models: z.array(PreflightModelSchema),
  base: PreflightModelSchema.optional(),
  /** inRunFolder: the recipe names no output path; the merge writes into its run's own new folder. */
  output: z.object({ path: z.string(), bytes: z.number(), inRunFolder: z.boolean().optional() }),
  counts: z.object({ merged: z.number(), copied: z.number(), excluded: z.number(), tiedAliases: z.number() }),
  tied: z.array(z.array(z.string())),
  peakMemoryBytes: z.number(),
  estimatedSeconds: z.number(),
  warnings: z.array(z.string()),
  blocking: z.array(z.string()),
  tensors: z.array(z.object({
    name: z.string(), shape: z.array(z.number()), outputDType: z.string(),
    action: z.object({ kind: z.string(), from: z.number().optional(), reason: z.string().optional() }),
    rule: z.number().optional(), params: z.record(z.string(), ParamValue), modelParams: z.array(z.record(z.string(), ParamValue)).optional(), weights: z.array(z.number()),
    strength: z.number(), seed: z.number(), aliases: z.array(z.string()),
  })),
  excluded: z.array(z.string()),
});
export type PreflightResult = z.infer<typeof PreflightSchema>;
const LayerRowSchema = z.object({
  reference: z.string(), shape: z.array(z.number()), other: z.string().optional(), otherShape: z.array(z.number()).optional(),
  status: z.enum(['matched', 'renamed', 'shape differs', 'missing', 'excluded']),
});
export const LayerMatchSchema = z.object({ rows: z.array(LayerRowSchema), unmatched: z.array(z.string()) });
export type LayerMatchResult = z.infer<typeof LayerMatchSchema>;
export const MergeParams = z.object({ recipe: RecipeValue, baseDir: FilePath.optional() }).strict();


/** Every call: name → {args, result}. Adding a call = adding an entry here and a handler. */
export const calls = {
  getEnvironment: { args: Empty, result: Environment },
  startJob: {
    args: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('selftest'), params: SelftestParams }).strict(),
      z.object({ kind: z.literal('train'), params: TrainRequestSchema }).strict(),
      z.object({ kind: z.literal('train-pair'), params: TrainPairRequestSchema }).strict(),
      z.object({ kind: z.literal('merge'), params: MergeParams }).strict(),
      z.object({ kind: z.literal('align'), params: AlignRequestSchema }).strict(),
      z.object({ kind: z.literal('curve'), params: CurveRequestSchema }).strict(),
      // Evaluation and comparison (engine/compare): results are CompareResult, SoupResult, SearchResult, DemoResult.
      z.object({ kind: z.literal('compare'), params: CompareRequestSchema }).strict(),
      z.object({ kind: z.literal('soup'), params: SoupRequestSchema }).strict(),
      z.object({ kind: z.literal('search'), params: SearchRequestSchema }).strict(),
      z.object({ kind: z.literal('demo'), params: DemoRequestSchema }).strict(),
      // Checks before and after a merge (docs/doctor.md): results are DoctorResult and VerifyResult.
      z.object({ kind: z.literal('doctor'), params: DoctorRequestSchema }).strict(),
      z.object({ kind: z.literal('verify'), params: VerifyRequestSchema }).strict(),
      // The loss plane through three models (compare/plane.ts): the result is a PlaneResult.
      z.object({ kind: z.literal('plane'), params: PlaneRequestSchema }).strict(),
    ]),
    result: z.object({ jobId: z.string() }),
  },
  cancelJob: { args: z.object({ jobId: z.string().min(1) }).strict(), result: z.object({ cancelled: z.boolean() }) },
  listJobs: { args: Empty, result: z.array(JobSummary) },
  /** Open a model file (headers only) and keep it open for statistics. */
  openModel: { args: z.object({ path: FilePath }).strict(), result: LoadedModel },
  closeModel: { args: z.object({ modelId: z.string().min(1) }).strict(), result: z.object({ closed: z.boolean() }) },
  tensorStats: { args: z.object({ modelId: z.string().min(1), name: z.string() }).strict(), result: TensorStatsSchema },
  /** Browser mode's file browser: one folder inside the allowed roots (home and --allow folders). */
  browse: { args: z.object({ dir: FilePath.optional() }).strict(), result: BrowseResult },
  /** Built-in architectures, datasets and derived tasks, for the Train screen's choices. */
  trainingChoices: {
    args: Empty,
    result: z.object({
      architectures: z.array(z.object({ id: z.string(), label: z.string(), options: z.array(z.string()), layers: z.string() })),
      datasets: z.array(z.object({ name: z.string(), summary: z.string(), usage: z.string(), builtins: z.array(z.object({ spec: z.string(), description: z.string() })) })),
      tasks: z.array(z.object({ name: z.string(), summary: z.string(), usage: z.string() })),
    }),
  },
  /** The merge methods with formulas, advice and parameter ranges, for the Scheme screen. */
  mergeMethods: { args: Empty, result: z.array(MethodInfoSchema) },
  /** Pre-flight: what will match, what blocks, output size, peak memory and time — before anything heavy runs. */
  preflightMerge: { args: MergeParams, result: PreflightSchema },
  /** A recipe as YAML (what the CLI runs), or YAML back to a recipe; errors name key and line. */
  recipeToYaml: { args: z.object({ recipe: RecipeValue }).strict(), result: z.object({ yaml: z.string() }) },
  recipeFromYaml: { args: z.object({ yaml: z.string().max(1_000_000) }).strict(), result: z.object({ recipe: RecipeValue }) },
  saveRecipe: { args: z.object({ path: FilePath, recipe: RecipeValue }).strict(), result: z.object({ path: z.string() }) },
  loadRecipe: { args: z.object({ path: FilePath }).strict(), result: z.object({ recipe: RecipeValue, baseDir: z.string() }) },
  /** mergekit YAML in and out, with what could not be carried over. */
  importMergekit: {
    // The config's text, or its file (read by the engine: in the allowed folders, at most 1 MB).
    args: z.object({ yaml: z.string().max(1_000_000).optional(), path: FilePath.optional() }).strict()
      .refine((a) => (a.yaml === undefined) !== (a.path === undefined), { message: 'give the config as yaml or as a path, not both' }),
    result: z.object({ recipe: RecipeValue, dropped: z.array(z.string()) }),
  },
  exportMergekit: { args: z.object({ recipe: RecipeValue }).strict(), result: z.object({ yaml: z.string(), dropped: z.array(z.string()) }) },
  /** A built-in architecture's graph for a weights-only file: the one that fits the open model's tensors, or the one named. */
  architectureGraph: {
    args: z.object({ modelId: z.string().min(1).optional(), arch: z.string().min(1).max(64).optional() }).strict(),
    result: z.object({ arch: z.string().nullable(), label: z.string(), graph: GraphInfoSchema.nullable(), matches: z.boolean(), note: z.string() }),
  },
  /** The Align screen's layer table: each reference tensor against every other model's (name, then order and shape). */
  matchLayers: { args: LayerMatchRequestSchema, result: z.array(LayerMatchSchema) },
  /** Native file dialog (Electron main answers it); elsewhere `available` is false and the UI browses instead. */
  pickFiles: {
    args: z.object({ title: z.string().max(200).optional(), directory: z.boolean().optional() }).strict(),
    result: z.object({ available: z.boolean(), paths: z.array(z.string()) }),
  },
  /** Run history: the workspace's runs, newest first; one run in full; delete one (the UI asks first). */
  listRuns: { args: z.object({ query: z.string().max(500).optional() }).strict(), result: z.array(RunSummarySchema) },
  readRun: { args: z.object({ dir: FilePath }).strict(), result: RunDetailSchema },
  deleteRun: { args: z.object({ dir: FilePath }).strict(), result: z.object({ deleted: z.boolean() }) },
  /** A run's label (the name the history shows), changed: 1–LABEL_MAX characters; a running run is refused. */
  renameRun: { args: z.object({ dir: FilePath, label: z.string().trim().min(1).max(LABEL_MAX) }).strict(), result: RunSummarySchema },
  /** Model files named by the run that wrote them ("train 3 · epoch-002"), for lists that show them together. */
  modelNames: {
    args: z.object({ paths: z.array(FilePath).max(5000) }).strict(),
    result: z.array(z.object({ path: z.string(), runId: z.string().optional(), runLabel: z.string().optional(), short: z.string() })),
  },
  /** A comparison run's report.html and its table as CSV, for export. */
  compareReport: { args: z.object({ runDir: FilePath }).strict(), result: z.object({ html: z.string(), csv: z.string(), path: z.string() }) },
  /**
   * The wizard's saved state for this workspace (ui-state-schema.ts): null when none, or when the file was of
   * another version or damaged (then set aside, and `notice` says so in words).
   */
  getUiState: { args: Empty, result: z.object({ state: UiStateSchema.nullable(), notice: z.string().optional() }) },
  /** The wizard's state, written whole (atomically); a state over UI_STATE_MAX_BYTES is refused. */
  saveUiState: {
    args: z.object({ state: UiStateSchema }).strict()
      .refine((a) => uiStateBytes(a.state) <= UI_STATE_MAX_BYTES, { message: `the screens' settings are too big to keep (at most ${UI_STATE_MAX_BYTES / 1024 / 1024} MB)` }),
    result: z.object({ bytes: z.number() }),
  },
} as const;

export type CallName = keyof typeof calls;
export type CallArgs<K extends CallName> = z.input<(typeof calls)[K]['args']>;
export type CallResult<K extends CallName> = z.infer<(typeof calls)[K]['result']>;

export const StudioEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job'), job: JobSummary }),
  z.object({ type: z.literal('log'), jobId: z.string(), message: z.string() }),
  z.object({ type: z.literal('metric'), jobId: z.string(), name: z.string(), value: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('engine'), state: z.enum(['started', 'crashed', 'restarted']), message: z.string() }),
]);
export type StudioEvent = z.infer<typeof StudioEvent>;

/** What `window.studio` is: one function per call plus onEvent (returns an unsubscribe function). */
export type StudioApi = { [K in CallName]: (args: CallArgs<K>) => Promise<CallResult<K>> } & {
  onEvent(listener: (event: StudioEvent) => void): () => void;
};

export const CALL_NAMES: readonly CallName[] = NAMES;
// Compile-time check: callNames.ts lists exactly the calls of this table.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const namesMatch: Same<CallName, CallNameList> = true;
void namesMatch;

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(calls, name);
}

/** Validate a call crossing a process boundary; throws ApiValidationError naming what is wrong. */
export function parseCall(name: unknown, args: unknown): { name: CallName; args: unknown } {
  if (!isCallName(name)) throw new ApiValidationError(`unknown call ${JSON.stringify(name)}`);
  const parsed = calls[name].args.safeParse(args ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiValidationError(`${name}: ${issue.path.join('.') || 'arguments'}: ${issue.message}`);
  }
  return { name, args: parsed.data };
}

export class ApiValidationError extends Error {
  constructor(message: string) { super(message); this.name = 'ApiValidationError'; }
}

// Wire messages between main (or the server) and the engine host process.
export const HostRequest = z.object({ id: z.number().int(), call: z.string(), args: z.unknown() });
export type HostRequest = z.infer<typeof HostRequest>;
/** From main to the host, never from a renderer: folders the user picked in a native dialog (desktop app). */
export const HostControl = z.object({ kind: z.literal('allowRoots'), dirs: z.array(z.string().min(1).max(4096)).max(1000) }).strict();
export type HostControl = z.infer<typeof HostControl>;
export const HostMessage = z.union([
  z.object({ kind: z.literal('response'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ kind: z.literal('response'), id: z.number().int(), ok: z.literal(false), error: z.string() }),
  z.object({ kind: z.literal('event'), event: StudioEvent }),
  z.object({ kind: z.literal('ready') }),
]);
export type HostMessage = z.infer<typeof HostMessage>;
