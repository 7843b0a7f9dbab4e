// The wizard's state saved and restored (renderer/src/state/persist.ts) against an engine API kept in memory that
// validates as the real one does: models reopened by path in order (a file gone becomes a load error), jobs kept
// only while the engine knows them, saves a moment after a change (not postponed by progress events), a state
// too big never sent, and "New merge" closing every model and saving a clean state.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { calls, type JobSummary, type LoadedModel } from '../../../main/engine/api';
import { readUiState, type UiState } from '../../../main/engine/ui-state-schema';
import { emptySchemeForm } from '../../../renderer/src/screens/scheme/recipeForm';
import { restoreUiState, startNewMerge, startPersisting, type PersistApi } from '../../../renderer/src/state/persist';
import { cleanSession, DEFAULT_TRAIN_FORM, useStudio } from '../../../renderer/src/state/store';

function model(path: string, n: number): LoadedModel {
  return { modelId: `m${n}`, path, fileName: path.split('/').pop()!, inspection: { format: 'pytorch', tensors: [], tied: [], metadata: {}, notes: [], parameterCount: 0, byteSize: 0, fileSize: 0, dtypeMix: {} } };
}
const job = (id: string, kind: JobSummary['kind'], startedAt: number): JobSummary => ({ id, kind, title: kind, status: 'succeeded', done: 1, total: 1, etaSeconds: null, startedAt });

/** An engine in memory: the saved file is JSON text, read back through the same schema as the engine's. */
function fakeEngine(files: Set<string>, jobs: JobSummary[] = []) {
  let text: string | null = null;
  let opened = 0;
  const closed: string[] = [];
  const saves: UiState[] = [];
  const api: PersistApi = {
    getUiState: async () => (text === null ? { state: null } : { state: readUiState(JSON.parse(text)).state }),
    saveUiState: async (args) => {
      const { state } = calls.saveUiState.args.parse(args);
      saves.push(state);
      text = JSON.stringify(state);
      return { bytes: text.length };
    },
    openModel: async ({ path }) => { if (!files.has(path)) throw new Error(`${path} does not exist`); return model(path, ++opened); },
    closeModel: async ({ modelId }) => { closed.push(modelId); return { closed: true }; },
    listJobs: async () => jobs,
  };
  return { api, saves, closed, saved: () => text };
}

const store = () => useStudio.getState();
beforeEach(() => { store().replaceSession({}); useStudio.setState({ jobs: {} }); });
afterEach(() => { vi.useRealTimers(); });

describe('the wizard state across a reload', () => {
  it('reopens the models in order and gives back every form and choice, a gone file becoming a load error', async () => {
    const engine = fakeEngine(new Set(['/m/a.pt', '/m/b.pt', '/m/c.pt']), [job('job-2', 'compare', 5)]);
    const persister = startPersisting(engine.api, (m) => { throw new Error(m); });
    const scheme = { ...emptySchemeForm(), method: 'weighted', models: [{ path: '/m/a.pt', weight: 0.3, use: true }, { path: '/m/b.pt', weight: 0.7, use: true }] };
    useStudio.setState({
      jobs: { 'job-2': job('job-2', 'compare', 5), 'job-9': job('job-9', 'merge', 7) },
      step: 'scheme', models: [model('/m/a.pt', 1), model('/m/gone.pt', 2), model('/m/b.pt', 3)], selectedModelId: 'm3',
      alignment: { method: 'activation', dataset: 'mnist:train', samples: 64, repair: 'repair', rename: {}, exclude: ['x'] },
      schemeForm: scheme, compareModels: [{ path: '/m/a.pt' }], compareJobId: 'job-2', compareRunDir: '/ws/runs/c',
      mergeJobId: 'job-9', trainForm: { ...DEFAULT_TRAIN_FORM, epochs: 7 },
    });
    await persister.flush();
    persister.stop();
    expect(engine.saves).toHaveLength(1);
    expect(engine.saved()).not.toContain('inspection'); // paths and settings, never what was read from the files

    store().replaceSession({}); // the page reloads: an empty store
    expect(store().models).toEqual([]);
    const sessionBefore = store().session;
    expect(await restoreUiState(engine.api)).toBeNull();
    const s = store();
    expect(s.session).toBe(sessionBefore + 1);
    expect(s.models.map((m) => m.path)).toEqual(['/m/a.pt', '/m/b.pt']);
    expect(s.models.find((m) => m.modelId === s.selectedModelId)?.path).toBe('/m/b.pt');
    expect(s.loadErrors).toEqual([{ path: '/m/gone.pt', error: expect.stringMatching(/could not be opened again: \/m\/gone\.pt does not exist/) }]);
    expect(s.step).toBe('scheme');
    expect(s.schemeForm).toEqual(scheme);
    expect(s.alignment?.method).toBe('activation');
    expect(s.trainForm.epochs).toBe(7);
    expect(s.compareModels).toEqual([{ path: '/m/a.pt' }]);
    expect(s.compareRunDir).toBe('/ws/runs/c');
    // the engine still runs job-2 (same kind and start): kept; job-9 it no longer knows (a restart): dropped
    expect(s.compareJobId).toBe('job-2');
    expect(s.mergeJobId).toBeNull();
  });

  it('does not take a job of another kind or start for the one saved (a restarted engine reuses ids)', async () => {
    const engine = fakeEngine(new Set(), [job('job-1', 'train', 99)]);
    const persister = startPersisting(engine.api, () => {});
    useStudio.setState({ jobs: { 'job-1': job('job-1', 'train', 1) }, trainJobId: 'job-1' });
    await persister.flush();
    persister.stop();
    await restoreUiState(engine.api);
    expect(store().trainJobId).toBeNull();
  });

  it('changes nothing when nothing was saved, and passes on the engine\'s notice', async () => {
    const api = { ...fakeEngine(new Set()).api, getUiState: async () => ({ state: null, notice: 'set aside' }) };
    useStudio.setState({ step: 'compare' });
    expect(await restoreUiState(api)).toBe('set aside');
    expect(store().step).toBe('compare');
  });
});

describe('saving', () => {
  it('saves once a moment after the last change; job progress alone neither saves nor postpones', async () => {
    vi.useFakeTimers();
    const engine = fakeEngine(new Set());
    const persister = startPersisting(engine.api, () => {}, 500);
    store().setStep('align');
    vi.advanceTimersByTime(300);
    store().setStep('scheme');
    for (let i = 0; i < 5; i++) { store().applyEvent({ type: 'job', job: job('job-1', 'selftest', i) }); vi.advanceTimersByTime(100); }
    await vi.advanceTimersByTimeAsync(10);
    expect(engine.saves.map((x) => x.step)).toEqual(['scheme']);
    for (let i = 0; i < 5; i++) store().applyEvent({ type: 'job', job: job('job-1', 'selftest', i + 10) });
    await vi.advanceTimersByTimeAsync(2000);
    expect(engine.saves).toHaveLength(1);
    persister.stop();
  });

  it('never sends a state over the limit, and says why once', async () => {
    const engine = fakeEngine(new Set());
    const problems: string[] = [];
    const persister = startPersisting(engine.api, (m) => problems.push(m));
    store().setSchemeForm({ ...emptySchemeForm(), extraLayers: Array.from({ length: 3000 }, (_, i) => ({ match: `l${i}`, note: 'x'.repeat(1000) })) });
    await persister.flush();
    store().setStep('compare');
    await persister.flush();
    persister.stop();
    expect(engine.saves).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/too big to keep \(\d+\.\d MB; at most 2\.0 MB\)/);
  });
});

describe('New merge', () => {
  it('closes every model, clears every form and result, and saves the clean state at once', async () => {
    const engine = fakeEngine(new Set());
    const persister = startPersisting(engine.api, () => {}, 60_000);
    useStudio.setState({
      step: 'compare', models: [model('/m/a.pt', 1), model('/m/b.pt', 2)], selectedModelId: 'm1', schemeForm: emptySchemeForm(),
      alignment: { method: 'weight', dataset: '', samples: 0, repair: 'none', rename: {}, exclude: [] }, compareModels: [{ path: '/m/a.pt' }],
      searchSummary: { best: 'b', heldout: 0.5, output: '/o', tries: 3 }, trainForm: { ...DEFAULT_TRAIN_FORM, lr: 1 },
    });
    await startNewMerge(engine.api, persister);
    persister.stop();
    expect(engine.closed.sort()).toEqual(['m1', 'm2']);
    const { step, models, loadErrors, selectedModelId, alignment, schemeForm, mergeJobId, compareModels, compareJobId, compareRunDir,
      searchJobId, searchSummary, trainForm, trainJobId, recipeToLoad } = store();
    expect({ step, models, loadErrors, selectedModelId, alignment, schemeForm, mergeJobId, compareModels, compareJobId, compareRunDir,
      searchJobId, searchSummary, trainForm, trainJobId, recipeToLoad }).toEqual(cleanSession());
    expect(engine.saves).toHaveLength(1);
    expect(engine.saves[0]).toMatchObject({ step: 'load', models: { paths: [], selected: null }, schemeForm: null, alignment: null, compare: { models: [] } });
  });
});
