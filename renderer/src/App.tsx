// The app shell: the wizard's steps on the left (Train beside Load), the current screen, engine notices.
import type React from 'react';
import { useEffect } from 'react';
import { studio } from './api/studio';
import { EnvironmentPanel } from './components/EnvironmentPanel';
import { RunScreen } from './screens/RunScreen';
import { LoadScreen } from './screens/LoadScreen';
import { AlignScreen } from './screens/steps';
import { CompareScreen } from './screens/CompareScreen';
import { SchemeScreen } from './screens/SchemeScreen';
import { TrainScreen } from './screens/TrainScreen';
import { useStudio, type Step } from './state/store';

const NAV: { step: Step; label: string; aside?: boolean }[] = [
  { step: 'train', label: 'Train', aside: true },
  { step: 'load', label: '1 Load' },
  { step: 'align', label: '2 Align' },
  { step: 'scheme', label: '3 Scheme' },
  { step: 'run', label: '4 Run' },
  { step: 'compare', label: '5 Compare' },
];

const SCREENS: Record<Step, () => React.JSX.Element> = {
  train: TrainScreen, load: LoadScreen, align: AlignScreen, scheme: SchemeScreen, run: RunScreen, compare: CompareScreen,
};

export function App() {
  const { step, setStep, setEnvironment, applyEvent, notice, dismissNotice } = useStudio();

  useEffect(() => {
    const off = studio.onEvent(applyEvent);
    studio.getEnvironment({}).then(
      (env) => setEnvironment(env),
      (e: unknown) => setEnvironment(null, e instanceof Error ? e.message : String(e)),
    );
    studio.listJobs({}).then((jobs) => jobs.forEach((job) => applyEvent({ type: 'job', job })), () => {});
    return off;
  }, [applyEvent, setEnvironment]);

  const Current = SCREENS[step];
  return (
    <div className="flex min-h-screen">
      <nav className="sticky top-0 flex h-screen w-56 shrink-0 flex-col border-r border-slate-200 bg-white p-4" aria-label="Wizard steps">
        <div className="mb-6 text-lg font-bold text-indigo-700">Merge Studio</div>
        <ul className="space-y-1">
          {NAV.map((n) => (
            <li key={n.step}>
              <button
                type="button"
                aria-current={step === n.step ? 'step' : undefined}
                onClick={() => setStep(n.step)}
                className={`w-full rounded px-3 py-2 text-left ${step === n.step ? 'bg-indigo-50 font-medium text-indigo-700' : 'text-slate-700 hover:bg-slate-100'} ${n.aside ? 'mb-3 border border-dashed border-slate-300' : ''}`}
              >
                {n.label}
              </button>
            </li>
          ))}
        </ul>
        <div className="mt-auto pt-6"><EnvironmentPanel /></div>
      </nav>
      <main className="flex-1">
        {notice && (
          <div role="status" className="flex items-center justify-between bg-amber-100 px-6 py-2 text-amber-900">
            <span>{notice}</span>
            <button type="button" onClick={dismissNotice} className="text-sm underline">Dismiss</button>
          </div>
        )}
        <Current />
      </main>
    </div>
  );
}
