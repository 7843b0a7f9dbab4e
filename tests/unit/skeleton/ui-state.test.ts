// The wizard's saved state through the engine's API (getUiState / saveUiState): a round trip through
// <workspace>/.merge-studio/ui-state.json, a state too big refused before anything is written, and a file of
// another version or damaged set aside with a notice, never a crash.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiValidationError, parseCall } from '../../../main/engine/api';
import { createEngine, type Engine } from '../../../main/engine/engine';
import { uiStateFile } from '../../../main/engine/handlers/ui-state';
import { UI_STATE_MAX_BYTES, type UiState } from '../../../main/engine/ui-state-schema';
import { emptySchemeForm } from '../../../renderer/src/screens/scheme/recipeForm';

const saved = process.env.MERGE_STUDIO_WORKSPACE;
let ws: string, engine: Engine, file: string;

beforeAll(() => {
  ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ms-ui-state-')));
  process.env.MERGE_STUDIO_WORKSPACE = ws;
  engine = createEngine(() => {}, 'cli');
  file = uiStateFile(ws);
});
afterAll(() => { process.env.MERGE_STUDIO_WORKSPACE = saved; });
beforeEach(() => { fs.rmSync(path.dirname(file), { recursive: true, force: true }); });

function state(): UiState {
  return {
    version: 1,
    step: 'scheme',
    models: { paths: ['/m/a.pt', '/m/b.pt'], selected: '/m/b.pt' },
    alignment: { method: 'weight', dataset: 'mnist:train', samples: 1024, repair: 'reset', rename: { '/m/b.pt': { 'fc.weight': 'head.weight' } }, exclude: ['bn.num_batches_tracked'] },
    schemeForm: { ...emptySchemeForm(), method: 'weighted', models: [{ path: '/m/a.pt', weight: 0.25, use: true }, { path: '/m/b.pt', weight: Number.NaN, use: true }] },
    mergeJob: { id: 'job-3', kind: 'merge', startedAt: 1700000000000 },
    compare: { models: [{ path: '/m/a.pt', arch: 'mlp' }], job: null, runDir: `${ws}/runs/x-compare` },
    search: { job: null, summary: { best: 'ties · density 0.4', heldout: 0.91, output: '/m/best.safetensors', tries: 11 } },
    train: { form: null, job: null },
  };
}

describe('the wizard state kept by the engine', () => {
  it('is nothing before anything was saved', async () => {
    expect(await engine.call('getUiState', {})).toEqual({ state: null });
  });

  it('comes back as saved, from the workspace\'s .merge-studio folder (a number left unparseable included)', async () => {
    const { bytes } = await engine.call('saveUiState', { state: state() });
    expect(bytes).toBe(fs.statSync(file).size);
    expect(path.relative(ws, file)).toBe(path.join('.merge-studio', 'ui-state.json'));
    const back = await engine.call('getUiState', {});
    expect(back.notice).toBeUndefined();
    expect(back.state).toEqual(state()); // toEqual treats NaN as equal to NaN
    expect(back.state!.schemeForm!.models[1].weight).toBeNaN();
  });

  it('refuses a state over the limit with a clear reason, and writes nothing', async () => {
    const big = state();
    big.schemeForm!.extraLayers = Array.from({ length: 3000 }, (_, i) => ({ match: `layer.${i}.*`, note: 'x'.repeat(1000) }));
    expect(() => parseCall('saveUiState', { state: big })).toThrow(ApiValidationError);
    expect(() => parseCall('saveUiState', { state: big })).toThrow(/too big/);
    await expect(engine.call('saveUiState', { state: big })).rejects.toThrow(new RegExp(`at most ${UI_STATE_MAX_BYTES / 1024 / 1024} MB`));
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses to save a state of another version or shape', () => {
    expect(() => parseCall('saveUiState', { state: { ...state(), version: 2 } })).toThrow(/version/);
    expect(() => parseCall('saveUiState', { state: { ...state(), step: 'nowhere' } })).toThrow(/step/);
  });

  it.each([
    ['of another version', JSON.stringify({ ...state(), version: 99 }), /another version of Merge Studio \(format 99/],
    ['damaged', JSON.stringify({ ...state(), models: { paths: 'not a list' } }), /damaged \(models/],
    ['not JSON', '{"version": 1, "step": ', /not readable JSON/],
  ])('sets a file %s aside with a notice and starts clean', async (_label, text, reason) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    const back = await engine.call('getUiState', {});
    expect(back.state).toBeNull();
    expect(back.notice).toMatch(reason);
    expect(fs.existsSync(file)).toBe(false);
    const aside = fs.readdirSync(path.dirname(file)).filter((n) => n.startsWith('ui-state.unreadable-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(path.dirname(file), aside[0]), 'utf8')).toBe(text);
    expect(back.notice).toContain(aside[0]);
    // and the next save starts a fresh file without touching the one set aside
    await engine.call('saveUiState', { state: state() });
    expect((await engine.call('getUiState', {})).state).toEqual(state());
  });
});
