// The wizard's steps, in order: what the sidebar shows, which steps exist in this build, and what each
// needs before it can do anything. The sidebar and every screen's forward button read this one list, so
// nothing invites a step that cannot work yet.
//
// A new screen (Align, Compare): build screens/<Name>Screen.tsx, put it in App.tsx's SCREENS, set
// `available: true` here and, if it needs something first, `waitsFor`. Its screen then shows a guide to the
// missing step (components/Screen.tsx: Guide) rather than controls that cannot work.
import type { Step } from './state/store';
import { useStudio } from './state/store';

type StudioState = ReturnType<typeof useStudio.getState>;

export interface StepInfo {
  step: Step;
  /** The sidebar's text: "1 Load". */
  label: string;
  /** A forward button that leads here: "Pick a merge scheme". */
  cta: string;
  /** Beside the numbered steps (Train, for users with no models yet). */
  aside?: boolean;
  /** A step the wizard's forward buttons pass over (Align: checkpoints of one run need none); its screen is reached from the sidebar or a link. */
  optional?: boolean;
  /** False while this build has no screen for it: shown as "coming soon", never clickable. */
  available: boolean;
  /** What must happen first, or null when the step can work now; the sidebar says it under the step. */
  waitsFor?: (s: StudioState) => { what: string; at: Step } | null;
}

export const STEP_INFO: StepInfo[] = [
  { step: 'train', label: 'Train', cta: 'Train models', aside: true, available: true },
  { step: 'load', label: '1 Load', cta: 'Open models', available: true },
  {
    step: 'align', label: '2 Align', cta: 'Line up the layers', available: true, optional: true,
    waitsFor: (s) => (s.models.length < 2 ? { what: 'open two models first', at: 'load' } : null),
  },
  {
    step: 'scheme', label: '3 Scheme', cta: 'Pick a merge scheme', available: true,
    waitsFor: (s) => (s.models.length === 0 ? { what: 'open models first', at: 'load' } : null),
  },
  {
    step: 'run', label: '4 Run', cta: 'Run the merge', available: true,
    waitsFor: (s) => (Object.values(s.jobs).some((j) => j.kind === 'merge') ? null : { what: 'start a merge on Scheme', at: 'scheme' }),
  },
  { step: 'compare', label: '5 Compare', cta: 'Compare the results', available: true },
];

export function stepInfo(step: Step): StepInfo {
  return STEP_INFO.find((s) => s.step === step)!;
}

/** The next step of the wizard after `step` that this build has, passing over optional ones (Load → Scheme). */
export function forwardFrom(step: Step): { step: Step; label: string } | undefined {
  const order = STEP_INFO.filter((s) => !s.aside);
  const next = order.slice(order.findIndex((s) => s.step === step) + 1).find((s) => s.available && !s.optional);
  return next && { step: next.step, label: next.cta };
}
