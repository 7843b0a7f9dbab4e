import { describe, expect, it } from 'vitest';
import { ApiValidationError, CALL_NAMES, calls, parseCall, StudioEvent } from '../../../main/engine/api';

describe('API contract', () => {
  it('lists exactly the calls of its table', () => {
    expect([...CALL_NAMES].sort()).toEqual(Object.keys(calls).sort());
  });

  it('accepts a well-formed call and fills defaults', () => {
    const { name, args } = parseCall('startJob', { kind: 'selftest', params: {} });
    expect(name).toBe('startJob');
    expect(args).toEqual({ kind: 'selftest', params: { steps: 100, stepMs: 50 } });
  });

  it.each([
    ['an unknown call', 'deleteEverything', {}, /unknown call/],
    ['a non-string call name', 42, {}, /unknown call/],
    ['an unknown job kind', 'startJob', { kind: 'rm -rf', params: {} }, /kind/],
    ['a wrong type', 'startJob', { kind: 'selftest', params: { steps: 'many' } }, /params\.steps/],
    ['a negative step count', 'startJob', { kind: 'selftest', params: { steps: -1 } }, /params\.steps/],
    ['an unknown key', 'cancelJob', { jobId: 'job-1', extra: true }, /extra|Unrecognized/i],
    ['a missing key', 'cancelJob', {}, /jobId/],
    ['an empty job id', 'cancelJob', { jobId: '' }, /jobId/],
    ['arguments to a call that takes none', 'listJobs', { x: 1 }, /Unrecognized|x/],
    ['a training run with no output folder', 'startJob', { kind: 'train', params: { arch: 'mlp', dataset: 'mnist', epochs: 1, batchSize: 8, optimizer: 'sgd', lr: 0.1, seed: 0 } }, /outDir/],
    ['a training run with a negative learning rate', 'startJob', { kind: 'train', params: { arch: 'mlp', dataset: 'mnist', epochs: 1, batchSize: 8, optimizer: 'sgd', lr: -1, seed: 0, outDir: '/tmp/x' } }, /lr/],
    ['a merge without a recipe', 'startJob', { kind: 'merge', params: {} }, /recipe/],
    ['an empty model path', 'openModel', { path: '' }, /path/],
    ['a run label of blanks', 'renameRun', { dir: '/ws/runs/r', label: '   ' }, /label/],
    ['a run label past 200 characters', 'renameRun', { dir: '/ws/runs/r', label: 'x'.repeat(201) }, /label/],
    ['a run rename without a folder', 'renameRun', { label: 'mine' }, /dir/],
  ])('rejects %s', (_label, name, args, pattern) => {
    expect(() => parseCall(name, args)).toThrow(ApiValidationError);
    expect(() => parseCall(name, args)).toThrow(pattern);
  });

  it('trims a run label as it crosses', () => {
    expect(parseCall('renameRun', { dir: '/ws/runs/r', label: '  my merge ' }).args).toEqual({ dir: '/ws/runs/r', label: 'my merge' });
  });

  it('validates events', () => {
    expect(StudioEvent.safeParse({ type: 'engine', state: 'restarted', message: 'ok' }).success).toBe(true);
    expect(StudioEvent.safeParse({ type: 'engine', state: 'exploded', message: 'x' }).success).toBe(false);
    expect(StudioEvent.safeParse({ type: 'job', job: { id: 'x' } }).success).toBe(false);
  });
});
