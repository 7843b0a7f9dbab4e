// UI state: the wizard step, the environment, jobs as the engine reports them, engine notices. What of it
// survives a reload or restart (models by path, forms, last results) is chosen in persist.ts.
import { create } from 'zustand';
import type { Environment, JobSummary, LoadedModel, StudioEvent } from '../../../main/engine/api';
import { pointsFromTrainMetric, type TrainingPoint } from '../../../main/engine/charts/training';
import type { SchemeForm } from '../screens/scheme/recipeForm';

export interface TrainLive {
  loss: TrainingPoint[];
  accuracy: TrainingPoint[];
  checkpoints: { run: string; epoch: number; path: string }[];
  epochs: Record<string, unknown>[];
  examplesPerSecond: number | null;
}
const EMPTY_LIVE: TrainLive = { loss: [], accuracy: [], checkpoints: [], epochs: [], examplesPerSecond: null };

/** What the Align screen chose, carried into the Scheme screen's recipe as its `align:` key. */
export interface AlignChoice {
  method: 'none' | 'weight' | 'activation';
  dataset: string;
  samples: number;
  repair: 'none' | 'reset' | 'repair';
  /** Per other model (by path): reference tensor → its tensor, for the rows that are not matched by name. */
  rename: Record<string, Record<string, string>>;
  exclude: string[];
  /** The built-in architecture of weights that do not record theirs (empty: as the files say). */
  arch?: string;
}
/** A model picked on the Compare screen (bare weights name their architecture). */
export interface CompareModel { path: string; arch?: string; label?: string }

/** The Train screen's form: kept here so that it survives navigation (and, through persist.ts, restarts). */
export interface TrainForm {
  arch: string; modelFile: string; hidden: string; width: string; dataset: string; task: string; evalDataset: string;
  epochs: number; batchSize: number; optimizer: 'sgd' | 'adam' | 'adamw'; lr: number; momentum: number; nesterov: boolean;
  weightDecay: number; schedule: string; seed: number; keepFrom: number; provider: string; threads: number; outDir: string;
  pair: boolean; taskB: string; coupleLambda: number;
}
export const DEFAULT_TRAIN_FORM: TrainForm = {
  arch: 'smallcnn', modelFile: '', hidden: '', width: '', dataset: 'mnist:train', task: '', evalDataset: 'mnist:test',
  epochs: 2, batchSize: 128, optimizer: 'sgd', lr: 0.05, momentum: 0.9, nesterov: false,
  weightDecay: 0, schedule: 'constant', seed: 0, keepFrom: 1, provider: 'cpu', threads: 0, outDir: '',
  pair: false, taskB: 'subset:5-9', coupleLambda: 0,
};
/** The last parameter search in one line, kept after its job is gone (a restart). */
export interface SearchSummary { best: string; heldout: number; test?: number; output: string; runDir?: string; tries: number }

export const STEPS = ['train', 'load', 'align', 'scheme', 'run', 'compare'] as const;
export type Step = (typeof STEPS)[number];

interface StudioState {
  step: Step;
  environment: Environment | null;
  environmentError: string | null;
  jobs: Record<string, JobSummary>;
  logs: Record<string, string[]>;
  /** Live training data per job, from the engine's metric events. */
  training: Record<string, TrainLive>;
  notice: string | null;
  /** The merge job the Run screen follows. */
  mergeJobId: string | null;
  setMergeJob(id: string | null): void;
  /** The Align screen's choices (null: not visited, the merge aligns nothing). */
  alignment: AlignChoice | null;
  setAlignment(a: AlignChoice | null): void;
  /** Models open on the Load screen, in the order the user added them. */
  models: LoadedModel[];
  loadErrors: { path: string; error: string }[];
  selectedModelId: string | null;
  setStep(step: Step): void;
  addModel(model: LoadedModel): void;
  removeModel(modelId: string): void;
  selectModel(modelId: string | null): void;
  addLoadError(path: string, error: string): void;
  clearLoadErrors(): void;
  setEnvironment(env: Environment | null, error?: string): void;
  /** The Compare screen's models (the Run screen's result button sets the merge and its parents). */
  compareModels: CompareModel[];
  setCompareModels(models: CompareModel[]): void;
  /** A recipe for the Scheme screen to take up ("use these settings again" in the run history). */
  recipeToLoad: Record<string, unknown> | null;
  setRecipeToLoad(recipe: Record<string, unknown> | null): void;
  /** The Scheme screen's form as last edited (null: not visited): kept across steps, and the search varies its recipe. */
  schemeForm: SchemeForm | null;
  setSchemeForm(form: SchemeForm): void;
  /** Live points of search jobs, from their "search" metric events. */
  searchPoints: Record<string, Record<string, unknown>[]>;
  /** The Train screen's form and the training job it follows. */
  trainForm: TrainForm;
  setTrainForm(form: TrainForm): void;
  trainJobId: string | null;
  setTrainJob(id: string | null): void;
  /** The Compare screen's last comparison: its job while the engine has it, its run folder after. */
  compareJobId: string | null;
  compareRunDir: string | null;
  setCompareJob(id: string | null, runDir?: string | null): void;
  /** The last parameter search: its job while the engine has it, its summary after. */
  searchJobId: string | null;
  searchSummary: SearchSummary | null;
  setSearchJob(id: string | null, summary?: SearchSummary | null): void;
  /** Bumped when the whole wizard state is replaced (restored, or a new merge): screens start afresh. */
  session: number;
  /** The wizard's state, replaced at once (a restore, or a new merge) and the screens started afresh. */
  replaceSession(patch: Partial<SessionState>): void;
  applyEvent(event: StudioEvent): void;
  dismissNotice(): void;
}

/** What a new merge clears; a restore sets some of it. */
export type SessionState = Pick<StudioState, 'step' | 'models' | 'loadErrors' | 'selectedModelId' | 'alignment' | 'schemeForm' | 'mergeJobId'
  | 'compareModels' | 'compareJobId' | 'compareRunDir' | 'searchJobId' | 'searchSummary' | 'trainForm' | 'trainJobId' | 'recipeToLoad'>;

export function cleanSession(): SessionState {
  return {
    step: 'load', models: [], loadErrors: [], selectedModelId: null, alignment: null, schemeForm: null, mergeJobId: null,
    compareModels: [], compareJobId: null, compareRunDir: null, searchJobId: null, searchSummary: null,
    trainForm: DEFAULT_TRAIN_FORM, trainJobId: null, recipeToLoad: null,
  };
}

export const useStudio = create<StudioState>((set) => ({
  step: 'load',
  environment: null,
  environmentError: null,
  jobs: {},
  logs: {},
  training: {},
  notice: null,
  mergeJobId: null,
  setMergeJob: (mergeJobId) => set({ mergeJobId }),
  alignment: null,
  setAlignment: (alignment) => set({ alignment }),
  models: [],
  loadErrors: [],
  selectedModelId: null,
  setStep: (step) => set({ step }),
  addModel: (model) => set((s) => ({ models: [...s.models, model], selectedModelId: model.modelId, loadErrors: s.loadErrors.filter((e) => e.path !== model.path) })),
  removeModel: (modelId) => set((s) => {
    const models = s.models.filter((m) => m.modelId !== modelId);
    return { models, selectedModelId: s.selectedModelId === modelId ? (models[0]?.modelId ?? null) : s.selectedModelId };
  }),
  selectModel: (selectedModelId) => set({ selectedModelId }),
  addLoadError: (path, error) => set((s) => ({ loadErrors: [...s.loadErrors.filter((e) => e.path !== path), { path, error }] })),
  clearLoadErrors: () => set({ loadErrors: [] }),
  setEnvironment: (environment, error) => set({ environment, environmentError: error ?? null }),
  compareModels: [],
  setCompareModels: (compareModels) => set({ compareModels }),
  recipeToLoad: null,
  setRecipeToLoad: (recipeToLoad) => set({ recipeToLoad }),
  schemeForm: null,
  setSchemeForm: (schemeForm) => set({ schemeForm }),
  searchPoints: {},
  trainForm: DEFAULT_TRAIN_FORM,
  setTrainForm: (trainForm) => set({ trainForm }),
  trainJobId: null,
  setTrainJob: (trainJobId) => set({ trainJobId }),
  compareJobId: null,
  compareRunDir: null,
  setCompareJob: (compareJobId, runDir) => set(runDir === undefined ? { compareJobId } : { compareJobId, compareRunDir: runDir }),
  searchJobId: null,
  searchSummary: null,
  setSearchJob: (searchJobId, summary) => set(summary === undefined ? { searchJobId } : { searchJobId, searchSummary: summary }),
  session: 0,
  replaceSession: (patch) => set((s) => ({ ...cleanSession(), ...patch, session: s.session + 1 })),
  applyEvent: (event) =>
    set((s) => {
      switch (event.type) {
        case 'job':
          return { jobs: { ...s.jobs, [event.job.id]: event.job } };
        case 'log':
          return { logs: { ...s.logs, [event.jobId]: [...(s.logs[event.jobId] ?? []).slice(-199), event.message] } };
        case 'engine':
          return { notice: event.message };
        case 'metric': {
          if (event.name === 'search') return { searchPoints: { ...s.searchPoints, [event.jobId]: [...(s.searchPoints[event.jobId] ?? []), event.value] } };
          if (event.name !== 'train') return {};
          const v = event.value;
          const cur = s.training[event.jobId] ?? EMPTY_LIVE;
          const next: TrainLive = { ...cur };
          if (v.kind === 'step') {
            const p = pointsFromTrainMetric(v);
            next.loss = [...cur.loss, ...p.loss];
            next.accuracy = [...cur.accuracy, ...p.accuracy];
            if (typeof v.examplesPerSecond === 'number') next.examplesPerSecond = v.examplesPerSecond;
          } else if (v.kind === 'checkpoint') {
            next.checkpoints = [...cur.checkpoints, { run: String(v.run ?? 'a').toUpperCase(), epoch: Number(v.epoch), path: String(v.path) }];
          } else if (v.kind === 'epoch') {
            next.epochs = [...cur.epochs, v];
            if (typeof v.evalAccuracy === 'number') next.accuracy = [...next.accuracy, { step: lastStep(cur), value: v.evalAccuracy, run: String(v.run ?? 'a').toUpperCase(), series: 'test accuracy' }];
          } else return {};
          return { training: { ...s.training, [event.jobId]: next } };
        }
        default:
          return {};
      }
    }),
  dismissNotice: () => set({ notice: null }),
}));

function lastStep(t: TrainLive): number {
  return t.loss.length ? t.loss[t.loss.length - 1].step : 0;
}
