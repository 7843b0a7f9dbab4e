// UI state: the wizard step, the environment, jobs as the engine reports them, engine notices.
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
  applyEvent(event: StudioEvent): void;
  dismissNotice(): void;
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
