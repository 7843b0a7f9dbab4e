// Runs you can tell apart (issue 20): two merges of the same models with the default output give two files
// and two runs that the history shows apart; a run renamed in the history keeps its new name; model files of
// one name are named by their run (or their folder) on the Scheme screen, with the full path on hover.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, FIXTURES, SCRATCH } from './serve-fixture';

type Page = import('@playwright/test').Page;

async function load(page: Page, file: string) {
  await page.getByLabel('Model file path').fill(file);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByRole('list', { name: 'Open models' }).getByTitle(file, { exact: true })).toBeVisible();
}
const nav = (page: Page, label: string) =>
  page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: label, exact: true }).click();

async function mergeWithDefaultOutput(page: Page): Promise<string> {
  await nav(page, '4 Run');
  const results = page.getByTestId('merge-result');
  // the Run screen shows the newest merge only: wait for a result that is not the one before
  const before = (await results.count()) ? await results.first().getByTestId('merge-output').textContent() : null;
  await nav(page, '3 Scheme');
  await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Mean', { exact: true }).check();
  await expect(page.getByLabel('Output file')).toHaveValue('');
  await expect(page.getByTestId('blocking')).toHaveCount(0);
  await page.getByRole('button', { name: 'Run merge →' }).click();
  let output = '';
  await expect.poll(async () => {
    if ((await results.count()) !== 1) return false;
    output = (await results.first().getByTestId('merge-output').textContent()) ?? '';
    return output !== '' && output !== before;
  }, { timeout: 30_000 }).toBe(true);
  return output;
}

test.describe('runs you can tell apart', () => {
  test('two merges with default outputs: two files, two runs the history tells apart, one renamed', async ({ page, appUrl }) => {
    test.setTimeout(120_000);
    await page.goto(appUrl);
    for (const i of [0, 1]) await load(page, path.join(FIXTURES, `merge/cnn_${i}.pt`));
    const first = await mergeWithDefaultOutput(page);
    const second = await mergeWithDefaultOutput(page);
    expect(second).not.toBe(first);
    expect(path.basename(second)).toBe(path.basename(first)); // one file name, two runs: the case to tell apart
    expect(fs.existsSync(first) && fs.existsSync(second)).toBe(true);
    // the parents line names each parent, its full path on hover
    await expect(page.getByTestId('merge-parents').first().getByTitle(path.join(FIXTURES, 'merge/cnn_0.pt'))).toContainText('cnn_0.pt');

    await nav(page, '5 Compare');
    await page.getByRole('tab', { name: 'Run history' }).click();
    const rowOf = (file: string) => page.getByTestId('history-row').filter({ has: page.getByTitle(file, { exact: true }) });
    const [a, b] = [rowOf(first), rowOf(second)];
    await expect(a).toHaveCount(1);
    await expect(b).toHaveCount(1);
    // each shows its own id, label and output file, and the two outputs read differently
    const idA = path.basename(path.dirname(first));
    const idB = path.basename(path.dirname(second));
    await expect(a.getByTestId('run-id')).toHaveText(idA);
    await expect(b.getByTestId('run-id')).toHaveText(idB);
    await expect(a.getByTestId('run-label')).toContainText('merge · mean of cnn_0, cnn_1');
    const outA = (await a.getByTestId('history-output').textContent())!;
    const outB = (await b.getByTestId('history-output').textContent())!;
    expect(outA).not.toBe(outB);
    expect(outA).toContain(idA);
    // no process jargon in the table
    await expect(page.getByTestId('history-table')).not.toContainText(/\bpid\b|\bhost\b/);

    // rename the first run in place
    await a.getByRole('button', { name: /^Rename / }).click();
    await a.getByLabel('New name for the run').fill('my first mean');
    await a.getByRole('button', { name: 'Save' }).click();
    await expect(a.getByTestId('run-label')).toHaveText('my first mean');
    await expect(b.getByTestId('run-label')).toContainText('merge · mean of cnn_0, cnn_1');
    expect(JSON.parse(fs.readFileSync(path.join(path.dirname(first), 'run.json'), 'utf8')).label).toBe('my first mean');
    // the labels now differ: each output is named by its run's label
    await expect(a.getByTestId('history-output')).toHaveText('my first mean · merged');
    // and the name stays after a fresh look at the history
    await page.reload();
    await nav(page, '5 Compare');
    await page.getByRole('tab', { name: 'Run history' }).click();
    await expect(rowOf(first).getByTestId('run-label')).toHaveText('my first mean');
    // the process that ran a run is in words, behind a disclosure
    await rowOf(first).locator('td').nth(1).click();
    const detail = page.getByTestId('run-detail');
    await expect(detail).toBeVisible();
    await expect(detail.getByTestId('run-process')).not.toHaveAttribute('open');
    await detail.getByText('Process', { exact: true }).click();
    await expect(detail.getByTestId('run-process')).toContainText('process number');

    // both outputs opened: the Scheme list names them by their runs, the full path on hover
    await nav(page, '1 Load');
    await load(page, first);
    await load(page, second);
    await nav(page, '3 Scheme');
    await expect(page.getByTestId('scheme-model-name').filter({ hasText: 'my first mean · merged' })).toHaveAttribute('title', first);
    await expect(page.getByTestId('scheme-model-name').filter({ hasText: 'merge · mean of cnn_0, cnn_1 · merged' })).toHaveAttribute('title', second);
  });

  test('two copies of one file name in different folders read apart on Scheme', async ({ page, appUrl }) => {
    const copies = ['lab-a', 'lab-b'].map((d) => path.join(SCRATCH, 'workspace', d, 'model.pt'));
    for (const c of copies) {
      fs.mkdirSync(path.dirname(c), { recursive: true });
      fs.copyFileSync(path.join(FIXTURES, 'merge/cnn_0.pt'), c);
    }
    await page.goto(appUrl);
    for (const c of copies) await load(page, c);
    await nav(page, '3 Scheme');
    const names = page.getByTestId('scheme-model-name');
    await expect(names.filter({ hasText: 'lab-a/model.pt' })).toHaveAttribute('title', copies[0]);
    await expect(names.filter({ hasText: 'lab-b/model.pt' })).toHaveAttribute('title', copies[1]);
  });
});
