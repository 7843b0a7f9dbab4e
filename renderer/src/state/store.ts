// UI state: the wizard step, the environment, jobs as the engine reports them, engine notices.
import { create } from 'zustand';
import type { Environment, JobSummary, StudioEvent } from '../../../main/engine/api';

export const STEPS = ['train', 'load', 'align', 'scheme', 'run', 'compare'] as const;
export type Step = (typeof STEPS)[number];

interface StudioState {
  step: Step;
  environment: Environment | null;
  environmentError: string | null;
  jobs: Record<string, JobSummary>;
  logs: Record<string, string[]>;
  notice: string | null;
  setStep(step: Step): void;
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
  setStep: (step) => set({ step }),
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
