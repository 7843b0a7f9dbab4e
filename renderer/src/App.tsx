// The app shell: the wizard's steps on the left (Train beside Load), the current screen, engine notices.
// Which steps exist and what each waits for: navigation.ts. Colours and dark mode: styles.css. The wizard's
// state is restored before the screens show and saved as it changes (state/persist.ts); "New merge" clears it.
import type React from 'react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Info } from 'lucide-react';
import { studio } from './api/studio';
import { AboutDialog } from './components/AboutDialog';
import { EngineStatusLine } from './components/EnvironmentPanel';
import { NewMergeButton } from './components/NewMergeButton';
import { ThemeToggle } from './components/ThemeToggle';
import { STEP_INFO } from './navigation';
import { RunScreen } from './screens/RunScreen';
import { LoadScreen } from './screens/LoadScreen';
import { AlignScreen } from './screens/AlignScreen';
import { CompareScreen } from './screens/CompareScreen';
import { SchemeScreen } from './screens/SchemeScreen';
import { TrainScreen } from './screens/TrainScreen';
import { restoreUiState, startNewMerge, startPersisting, type Persister } from './state/persist';
import { useStudio, type Step } from './state/store';

const SCREENS: Record<Step, () => React.JSX.Element> = {
  train: TrainScreen, load: LoadScreen, align: AlignScreen, scheme: SchemeScreen, run: RunScreen, compare: CompareScreen,
};

function StepNav() {
  const state = useStudio();
  const { step, setStep } = state;
  return (
    <ul className="space-y-1">
      {STEP_INFO.map((n) => {
        const waiting = n.available ? n.waitsFor?.(state) ?? null : null;
        const hint = !n.available ? 'coming soon' : waiting && step !== n.step ? waiting.what : null;
        const current = step === n.step;
        return (
          <li key={n.step} className={n.aside ? 'mb-3' : ''}>
            <button
              type="button"
              aria-current={current ? 'step' : undefined}
              aria-describedby={hint ? `nav-hint-${n.step}` : undefined}
              disabled={!n.available}
              onClick={() => setStep(n.step)}
              className={`w-full rounded px-3 py-2 text-left disabled:cursor-not-allowed ${current ? 'bg-indigo-50 font-medium text-indigo-700' : hint ? 'text-slate-600 hover:bg-slate-100 disabled:hover:bg-transparent' : 'text-slate-800 hover:bg-slate-100'} ${n.aside ? 'border border-dashed border-slate-300' : ''}`}
            >
              {n.label}
            </button>
            {hint && <div id={`nav-hint-${n.step}`} className="px-3 pb-1 text-xs text-slate-600" data-testid={`nav-hint-${n.step}`}>{hint}</div>}
          </li>
        );
      })}
    </ul>
  );
}

const tell = (notice: string) => useStudio.setState({ notice });
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The environment, then last time's state: once per page, however often the effect runs (React's StrictMode). */
let started: Promise<void> | null = null;
function startOnce(): Promise<void> {
  started ??= studio.getEnvironment({})
    .then((env) => useStudio.getState().setEnvironment(env), (e: unknown) => useStudio.getState().setEnvironment(null, messageOf(e)))
    .then(() => restoreUiState(studio))
    .then((notice) => { if (notice) tell(notice); }, (e: unknown) => tell(`The screens' settings of last time could not be restored: ${messageOf(e)}`));
  return started;
}

export function App() {
  const { applyEvent, notice, dismissNotice } = useStudio();
  const [about, setAbout] = useState(false);
  const [ready, setReady] = useState(false);
  const persister = useRef<Persister | null>(null);

  useEffect(() => {
    const off = studio.onEvent(applyEvent);
    studio.listJobs({}).then((jobs) => jobs.forEach((job) => applyEvent({ type: 'job', job })), () => {});
    let live = true;
    void startOnce().then(() => {
      if (!live) return;
      persister.current = startPersisting(studio, tell);
      setReady(true);
    });
    // A change not yet saved goes out as the page closes or reloads.
    const flush = () => void persister.current?.flush();
    window.addEventListener('pagehide', flush);
    return () => {
      live = false;
      off();
      window.removeEventListener('pagehide', flush);
      persister.current?.stop();
      persister.current = null;
    };
  }, [applyEvent]);

  const newMerge = useCallback(() => startNewMerge(studio, persister.current), []);
  const Current = SCREENS[useStudio((s) => s.step)];
  // A restore or a new merge replaces the whole state: screens start afresh rather than keep their own copies.
  const session = useStudio((s) => s.session);
  return (
    <div className="flex min-h-screen">
      <nav className="sticky top-0 flex h-screen w-56 shrink-0 flex-col border-r border-slate-200 bg-white p-4" aria-label="Wizard steps">
        <div className="mb-6 flex items-center gap-2 text-lg font-bold text-indigo-700">
          <img src="./favicon.svg" alt="" className="size-6" />Merge Studio
        </div>
        <NewMergeButton onConfirm={newMerge} />
        <StepNav />
        <div className="mt-auto space-y-3 pt-6">
          <ThemeToggle />
          <button type="button" onClick={() => setAbout(true)} className="flex w-full items-center gap-2 rounded px-2 py-1.5 text-left text-sm text-slate-700 hover:bg-slate-100">
            <Info aria-hidden className="size-4" />About &amp; diagnostics
          </button>
          <EngineStatusLine />
        </div>
      </nav>
      <main className="min-w-0 flex-1">
        {notice && (
          <div role="status" className="flex items-center justify-between bg-amber-100 px-6 py-2 text-amber-900">
            <span>{notice}</span>
            <button type="button" onClick={dismissNotice} className="text-sm underline">Dismiss</button>
          </div>
        )}
        {ready ? <Current key={session} /> : <p className="p-6 text-slate-600" role="status">Opening the models and settings of last time…</p>}
      </main>
      <AboutDialog open={about} onClose={() => setAbout(false)} />
    </div>
  );
}
