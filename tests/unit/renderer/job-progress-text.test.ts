// What progress cards say and which ones the Run screen shows (renderer/src/components/job-progress-text.ts).
import { describe, expect, it } from 'vitest';
import { EtaEstimator } from '../../../main/engine/jobs/eta';
import { barPercent, countText, currentJobs, etaText, jobNumber, statusLine } from '../../../renderer/src/components/job-progress-text';

type S = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
const job = (o: { status?: S; done?: number; total?: number; unit?: string; label?: string; message?: string; etaSeconds?: number | null }) =>
  ({ status: 'running' as S, done: 0, total: 0, etaSeconds: null, ...o });

describe('counts', () => {
  it('a step of unknown size (total 0) shows its words and no count', () => {
    const hashing = job({ message: 'hashing parents' });
    expect(countText(hashing)).toBeNull();
    expect(statusLine(hashing)).toBe('hashing parents');
    expect(statusLine(hashing)).not.toMatch(/\d|\?/);
    expect(barPercent(hashing)).toBeNull();
  });

  it('a finished job shows its real final count, or none when the size was unknown', () => {
    expect(statusLine(job({ status: 'succeeded', done: 100, total: 100 }))).toBe('Done · 100 / 100');
    expect(statusLine(job({ status: 'succeeded', done: 0, total: 0 }))).toBe('Done');
    expect(barPercent(job({ status: 'succeeded', done: 0, total: 0 }))).toBe(100);
  });

  it('the count is in the label\'s words and units, and never above the total', () => {
    const reading = job({ done: 1536, total: 38797312, unit: 'bytes', label: 'read {done} of {total} from 3 inputs', message: 'fc.weight' });
    expect(statusLine(reading)).toBe('read 1.5 KB of 37.0 MB from 3 inputs · fc.weight');
    expect(countText(job({ done: 12, total: 10 }))).toBe('10 / 10');
    expect(barPercent(job({ done: 5, total: 20 }))).toBe(25);
  });

  it('a failure says where it stopped; a queued job that it waits', () => {
    expect(statusLine(job({ status: 'failed', done: 8, total: 100 }))).toBe('Stopped at 8 / 100');
    expect(statusLine(job({ status: 'failed' }))).toBe('');
    expect(statusLine(job({ status: 'queued' }))).toMatch(/waiting/i);
  });
});

describe('time left', () => {
  it('says nothing for a step of unknown size or a job that is over', () => {
    expect(etaText(job({ message: 'hashing parents', etaSeconds: null }))).toBeNull();
    expect(etaText(job({ status: 'succeeded', done: 10, total: 10, etaSeconds: 0 }))).toBeNull();
    expect(etaText(job({ status: 'failed', done: 1, total: 10, etaSeconds: 30 }))).toBeNull();
  });

  it('says it is estimating until the engine could measure a rate', () => {
    expect(etaText(job({ done: 1, total: 100, etaSeconds: null }))).toBe('estimating time left…');
  });

  it('words seconds, minutes and hours', () => {
    const at = (s: number) => etaText(job({ done: 1, total: 100, etaSeconds: s }));
    expect(at(0.4)).toBe('less than a second left');
    expect(at(42.4)).toBe('about 42 s left');
    expect(at(150)).toBe('about 2 min 30 s left');
    expect(at(6300)).toBe('about 1 h 45 min left');
  });

  it('a one-second merge never shows minutes: the engine\'s estimator gives none from its first instants', () => {
    // the updates a short merge sends: files open slowly, then the bytes go by in a second
    const eta = new EtaEstimator();
    const total = 100e6;
    const shown: (string | null)[] = [];
    for (const [t, done] of [[0, 0], [50, 0], [900, 1e6], [950, 40e6], [1000, 80e6], [1040, 100e6]] as const) {
      shown.push(etaText(job({ done, total, unit: 'bytes', etaSeconds: eta.update(t, done, total, 'bytes') })));
    }
    for (const s of shown) expect(s ?? '').not.toMatch(/min|h left/);
  });
});

describe('which merge cards the Run screen shows', () => {
  const j = (n: number, status: S) => ({ id: `job-${n}`, kind: 'merge' as const, status });

  it('a later failure replaces an earlier success', () => {
    const shown = currentJobs([j(1, 'succeeded'), j(2, 'failed')], 'merge');
    expect(shown.map((x) => x.id)).toEqual(['job-2']);
  });

  it('a newer success replaces an earlier failure, and job-10 is newer than job-9', () => {
    expect(currentJobs([j(10, 'succeeded'), j(9, 'failed')], 'merge').map((x) => x.id)).toEqual(['job-10']);
    expect(jobNumber('job-10')).toBeGreaterThan(jobNumber('job-9'));
  });

  it('an older merge that still runs stays beside the newer one; jobs of other kinds are not merges', () => {
    const shown = currentJobs([j(3, 'running'), j(4, 'queued'), j(2, 'succeeded'), { id: 'job-5', kind: 'train' as const, status: 'failed' as S }], 'merge');
    expect(shown.map((x) => x.id)).toEqual(['job-4', 'job-3']);
    expect(currentJobs([], 'merge')).toEqual([]);
  });
});
