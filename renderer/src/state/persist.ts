// The wizard's state kept per workspace by the engine (getUiState / saveUiState), so that navigation, a reload
// and a restart find the open models, the Align, Scheme and Train forms and the last results as they were left.
// Models are saved by path and reopened through openModel (a file gone or refused becomes a load error); jobs by
// id, kept only while the engine still runs them, with run folders and summaries for after a restart.
import type { JobSummary, StudioApi } from '../../../main/engine/api';
import { UI_STATE_VERSION, uiStateTooBig, type UiState } from '../../../main/engine/ui-state-schema';
import type { SchemeForm } from '../screens/scheme/recipeForm';
import { DEFAULT_TRAIN_FORM, useStudio, type AlignChoice, type SessionState, type TrainForm } from './store';

type StudioState = ReturnType<typeof useStudio.getState>;
export type PersistApi = Pick<StudioApi, 'getUiState' | 'saveUiState' | 'openModel' | 'closeModel' | 'listJobs'>;

// The saved forms are the store's forms: a field added to one and not the other fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const formsMatch: Same<NonNullable<UiState['schemeForm']>, SchemeForm> & Same<NonNullable<UiState['alignment']>, AlignChoice>
  & Same<NonNullable<UiState['train']['form']>, TrainForm> = true;
void formsMatch;

type JobRef = NonNullable<UiState['mergeJob']>;
function jobRef(id: string | null, jobs: Record<string, JobSummary>): JobRef | null {
  const job = id ? jobs[id] : undefined;
  return job ? { id: job.id, kind: job.kind, ...(job.startedAt !== undefined ? { startedAt: job.startedAt } : {}) } : null;
}

/** What is saved of the store: paths and settings only. */
export function snapshot(s: StudioState): UiState {
  return {
    version: UI_STATE_VERSION,
    step: s.step,
    models: { paths: s.models.map((m) => m.path), selected: s.models.find((m) => m.modelId === s.selectedModelId)?.path ?? null },
    alignment: s.alignment,
    schemeForm: s.schemeForm,
    mergeJob: jobRef(s.mergeJobId, s.jobs),
    compare: { models: s.compareModels, job: jobRef(s.compareJobId, s.jobs), runDir: s.compareRunDir },
    search: { job: jobRef(s.searchJobId, s.jobs), summary: s.searchSummary },
    train: { form: s.trainForm, job: jobRef(s.trainJobId, s.jobs) },
  };
}

/**
 * The saved state made the store's: models reopened by path, in order, jobs kept only while this engine still
 * has them (a restarted engine numbers its jobs afresh: an old id could name another job). Nothing is opened or
 * changed when nothing was saved. Returns what the user should be told, or null.
 */
export async function restoreUiState(api: PersistApi): Promise<string | null> {
  const [{ state, notice }, jobs] = await Promise.all([api.getUiState({}), api.listJobs({}).catch(() => [] as JobSummary[])]);
  if (!state) return notice ?? null;
  const models: SessionState['models'] = [];
  const loadErrors: SessionState['loadErrors'] = [];
  for (const path of state.models.paths) {
    try {
      models.push(await api.openModel({ path }));
    } catch (e) {
      loadErrors.push({ path, error: `Open last time, but could not be opened again: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  const known = (ref: JobRef | null): string | null =>
    ref && jobs.some((j) => j.id === ref.id && j.kind === ref.kind && (ref.startedAt === undefined || j.startedAt === ref.startedAt)) ? ref.id : null;
  useStudio.getState().replaceSession({
    step: state.step,
    models,
    loadErrors,
    selectedModelId: (models.find((m) => m.path === state.models.selected) ?? models[0])?.modelId ?? null,
    alignment: state.alignment,
    schemeForm: state.schemeForm,
    mergeJobId: known(state.mergeJob),
    compareModels: state.compare.models,
    compareJobId: known(state.compare.job),
    compareRunDir: state.compare.runDir,
    searchJobId: known(state.search.job),
    searchSummary: state.search.summary,
    trainForm: state.train.form ?? DEFAULT_TRAIN_FORM,
    trainJobId: known(state.train.job),
  });
  return notice ?? null;
}

/** The parts of the store that are saved: a change to any of them (by reference) schedules a save. */
const SAVED: (keyof StudioState)[] = [
  'step', 'models', 'selectedModelId', 'alignment', 'schemeForm', 'mergeJobId', 'compareModels', 'compareJobId', 'compareRunDir',
  'searchJobId', 'searchSummary', 'trainForm', 'trainJobId',
];

export interface Persister {
  /** Save now what is pending (the page going away); `always`: even when it looks unchanged (a new merge). */
  flush(always?: boolean): Promise<void>;
  stop(): void;
}

/**
 * Saves the store's state a moment (delayMs) after the last change to a saved part; progress events, which
 * change only jobs, never postpone it. A failed or refused save is told once through `onProblem`.
 */
export function startPersisting(api: PersistApi, onProblem: (message: string) => void, delayMs = 500): Persister {
  let saved = JSON.stringify(snapshot(useStudio.getState()));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastProblem: string | null = null;
  const problem = (message: string) => { if (message !== lastProblem) { lastProblem = message; onProblem(message); } };

  async function flush(always = false): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const state = snapshot(useStudio.getState());
    const text = JSON.stringify(state);
    if (text === saved && !always) return;
    const tooBig = uiStateTooBig(state);
    if (tooBig) { problem(tooBig); return; }
    saved = text;
    try {
      await api.saveUiState({ state });
      lastProblem = null;
    } catch (e) {
      saved = ''; // try again at the next change
      problem(`The screens' settings could not be saved: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const unsubscribe = useStudio.subscribe((now, before) => {
    if (!SAVED.some((k) => now[k] !== before[k])) return;
    clearTimeout(timer);
    timer = setTimeout(() => void flush(), delayMs);
  });
  return { flush, stop: () => { unsubscribe(); clearTimeout(timer); } };
}

/** "New merge": every model closed, every form and result cleared (files and runs stay), the clean state saved. */
export async function startNewMerge(api: PersistApi, persister: Persister | null): Promise<void> {
  const { models } = useStudio.getState();
  await Promise.all(models.map((m) => api.closeModel({ modelId: m.modelId }).catch(() => undefined)));
  useStudio.getState().replaceSession({});
  if (persister) await persister.flush(true);
  else await api.saveUiState({ state: snapshot(useStudio.getState()) });
}
