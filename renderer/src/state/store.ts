// UI state: the wizard step, the environment, jobs as the engine reports them, engine notices.
import { create } from 'zustand';
import type { Environment, JobSummary, LoadedModel, StudioEvent } from '../../../main/engine/api';

export const STEPS = ['train', 'load', 'align', 'scheme', 'run', 'compare'] as const;
export type Step = (typeof STEPS)[number];

interface StudioState {
  step: Step;
  environment: Environment | null;
  environmentError: string | null;
  jobs: Record<string, JobSummary>;
  logs: Record<string, string[]>;
  notice: string | null;
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
  applyEvent(event: StudioEvent): void;
  dismissNotice(): void;
}

export const useStudio = create<StudioState>((set) => ({
  step: 'load',
  environment: null,
  environmentError: null,
  jobs: {},
  logs: {},
  notice: null,
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
  applyEvent: (event) =>
    set((s) => {
      switch (event.type) {
        case 'job':
          return { jobs: { ...s.jobs, [event.job.id]: event.job } };
        case 'log':
          return { logs: { ...s.logs, [event.jobId]: [...(s.logs[event.jobId] ?? []).slice(-199), event.message] } };
        case 'engine':
          return { notice: event.message };
        default:
          return {};
      }
    }),
  dismissNotice: () => set({ notice: null }),
}));
