// The exported comparison report: its confusion matrix is the most accurate model's (here not the first row)
// and says so; its legends sit under the charts with their labels whole.
import { describe, expect, it } from 'vitest';
import { mostAccurate } from '../../../main/engine/compare/charts-of';
import { renderCompareReport } from '../../../main/engine/compare/report';
import { comparison } from './report-fixture';

const figure = (html: string, id: string) => {
  const start = html.indexOf(`data-chart="${id}"`);
  return html.slice(start, html.indexOf('</figure>', start));
};

describe('comparison report', () => {
  it('shows the confusion matrix of the most accurate model, named, when it is not the first row', async () => {
    const r = comparison();
    expect(mostAccurate(r)).toBe(1);
    const html = await renderCompareReport(r);
    const confusion = figure(html, 'confusion');
    expect(confusion).toContain('Confusion matrix of the most accurate model, <b>mean of train 1 and train 2 (weight-matched, BatchNorm repaired)</b> (93.00 %)');
    // its cells are that model's counts (47, 3, 4, 46), not the first row's (41, 9, 10, 40)
    for (const n of ['47', '46']) expect(confusion).toContain(`>${n}<`);
    for (const n of ['41', '40']) expect(confusion).not.toContain(`>${n}<`);
  });

  it('follows the rows, not a stale "best" index, and skips rows that were not measured', async () => {
    const r = comparison();
    r.best.accuracy = 0;
    r.rows[2].accuracy = 0.99;
    r.rows[0].accuracy = NaN;
    expect(mostAccurate(r)).toBe(2);
    expect(figure(await renderCompareReport(r), 'confusion')).toContain('<b>train 2 · epoch-002</b> (99.00 %)');
  });

  it('writes every legend label whole (none cut short with an ellipsis)', async () => {
    const html = await renderCompareReport(comparison());
    for (const id of ['checkpoints', 'curves']) expect(figure(html, id)).not.toContain('…');
    expect(figure(html, 'curves')).toContain('weight-matched (Git Re-Basin, BatchNorm repaired)');
    expect(figure(html, 'checkpoints')).toContain('mean of train 1 and train 2 (weight-matched, BatchNorm repaired): 93.00 %');
  });
});
