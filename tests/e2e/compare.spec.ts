// The Compare screen as a person uses it, in Chromium against the served app: two real MNIST models, the table
// and the charts (their SVG content), the HTML report exported and opened; then a merge run on the Run screen
// opened in Compare with its parents, seed 002's chart, and the run history (open, delete after asking).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test as base, expect } from '@playwright/test';
import { clearSavedState, ROOT, SCRATCH, startServe } from './serve-fixture';

// A served app of its own: the Run screen lists every job of its engine, and these merges must not show up
// in the other specs' Run screens.
const test = base.extend<{ appUrl: string }, { compareServer: { url: string } }>({
  compareServer: [async ({}, use) => {
    const s = await startServe();
    await use(s);
    await s.stop();
  }, { scope: 'worker' }],
  // each test starts from a clean saved wizard state (the served engine keeps it per workspace)
  appUrl: async ({ compareServer }, use) => { clearSavedState(); await use(compareServer.url); },
});

const nav = (page: import('@playwright/test').Page, label: string) =>
  page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: label, exact: true }).click();

let ckpts: string[] = [];

test.beforeAll(() => {
  // One small MLP run on MNIST with a checkpoint per epoch, by the built CLI (real training, a few seconds).
  const out = path.join(SCRATCH, 'compare-run');
  execFileSync(process.execPath, [path.join(ROOT, 'out/main/cli.js'), 'train', '--arch', 'mlp', '--hidden', '32', '--dataset', 'mnist:fit', '--epochs', '3',
    '--keep-from', '1', '--lr', '0.05', '--momentum', '0.9', '--threads', '2', '--quiet', '--out', out], { stdio: 'ignore', timeout: 120_000 });
  ckpts = [1, 2, 3].map((e) => path.join(out, 'checkpoints', `epoch-00${e}.safetensors`));
});

async function addModel(page: import('@playwright/test').Page, file: string) {
  await page.getByLabel('Model to compare').fill(file);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByRole('list', { name: 'Models to compare' }).getByText(path.basename(file), { exact: true })).toBeVisible();
}

test.describe('Compare screen', () => {
  test('two models on MNIST: table, charts as SVG, confusion on click, the HTML report exported and opened', async ({ page, appUrl }) => {
    test.setTimeout(120_000);
    await page.goto(appUrl);
    await nav(page, '5 Compare');
    await addModel(page, ckpts[0]);
    await addModel(page, ckpts[2]);
    await page.getByLabel('Dataset').fill('mnist:test');
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const table = page.getByTestId('compare-table');
    await expect(table).toBeVisible({ timeout: 90_000 });
    await expect(table.locator('tbody tr')).toHaveCount(3); // two models and their ensemble
    await expect(page.getByTestId('row-ensemble')).toContainText('ensemble of epoch-001.safetensors + epoch-003.safetensors');
    await expect(page.getByTestId('row-m0')).toContainText(/\d{2}\.\d{2} %/);
    await expect(table.locator('[data-best]').first()).toContainText('★');
    await expect(page.getByTestId('verdict')).toContainText('is the most accurate on mnist:test');
    await expect(page.getByTestId('ensemble-note')).toContainText('linear model');

    // the interpolation curve: lines with points, the α axis, the loss barrier labelled
    const curves = page.getByTestId('chart-card-curves');
    await expect(curves.locator('svg')).toBeVisible();
    await expect(curves.locator('svg')).toContainText('α');
    await expect(curves.locator('svg')).toContainText(/barrier \d\.\d{3}/);
    expect(await curves.locator('svg path[aria-roledescription="line mark"], svg .mark-line path').count()).toBeGreaterThanOrEqual(2);
    // weight differences: one bar per tensor in each panel (an MLP 784→32→10 has 4 tensors)
    const diff = page.getByTestId('chart-card-diff');
    await expect(diff.locator('svg')).toContainText('cosine similarity');
    await expect(diff.locator('svg')).toContainText('layers.0.weight');
    expect(await diff.locator('svg .mark-rect path, svg path[aria-roledescription="bar"]').count()).toBe(8);
    // a row's confusion matrix
    await page.getByTestId('row-m1').click();
    const confusion = page.getByTestId('chart-card-confusion');
    await expect(confusion.locator('svg')).toContainText('predicted');
    await expect(confusion.locator('svg')).toContainText('epoch-003.safetensors');

    // export the report and open it as a person would
    const runDir = await page.getByTestId('compare-run-dir').textContent();
    expect(fs.existsSync(path.join(runDir!, 'report.html'))).toBe(true);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export HTML report' }).click()]);
    expect(download.suggestedFilename()).toBe('report.html');
    const saved = path.join(SCRATCH, 'exported-report.html');
    await download.saveAs(saved);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Table as CSV' }).click()]);
    const csvFile = path.join(SCRATCH, 'exported.csv');
    await csv.saveAs(csvFile);
    expect(fs.readFileSync(csvFile, 'utf8').split('\r\n')[0]).toMatch(/^model,kind,path,sha256,accuracy,loss/);
    const [png] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save Interpolation curves as PNG' }).click()]);
    const pngFile = path.join(SCRATCH, 'curves.png');
    await png.saveAs(pngFile);
    expect(fs.readFileSync(pngFile).subarray(1, 4).toString()).toBe('PNG');

    await page.goto(`file://${saved}`);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('2 models on mnist:test');
    await expect(page.getByTestId('verdict')).toContainText('is the most accurate');
    await expect(page.locator('table').first()).toContainText('epoch-001.safetensors');
    await expect(page.locator('figure[data-chart="curves"] svg')).toContainText('α');
    await expect(page.locator('figure[data-chart="diff"] svg')).toContainText('cosine similarity');
    await expect(page.locator('body')).toContainText(ckpts[0]);
  });

  test('a merge from the Run screen opens in Compare with its parents; seed 002\'s chart; the history', async ({ page, appUrl }) => {
    test.setTimeout(120_000);
    await page.goto(appUrl);
    for (const f of ckpts) {
      await page.getByLabel('Model file path').fill(f);
      await page.getByRole('button', { name: 'Open', exact: true }).click();
      await expect(page.getByRole('list', { name: 'Open models' }).getByText(path.basename(f))).toBeVisible();
    }
    await nav(page, '3 Scheme');
    await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Mean', { exact: true }).check();
    const out = path.join(SCRATCH, 'workspace', 'mean-of-checkpoints.safetensors');
    await page.getByLabel('Output file').fill(out);
    await expect(page.getByTestId('recipe-yaml')).toContainText('epoch-003.safetensors');
    await expect(page.getByTestId('blocking')).toHaveCount(0);
    await page.getByRole('button', { name: 'Run merge →' }).click();
    await expect(page.getByTestId('merge-result')).toBeVisible({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Compare with its parents →' }).click();
    const picked = page.getByRole('list', { name: 'Models to compare' });
    await expect(picked.locator('li')).toHaveCount(4);
    await expect(picked).toContainText('mean-of-checkpoints.safetensors');
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await expect(page.getByTestId('compare-table')).toBeVisible({ timeout: 90_000 });
    await expect(page.getByTestId('row-m3')).toContainText('merge');
    await expect(page.getByTestId('row-ensemble')).toBeVisible();
    const chart = page.getByTestId('chart-card-checkpoints');
    await expect(chart.locator('svg')).toContainText('mean of checkpoints');
    await expect(chart.locator('svg')).toContainText('epoch');
    await expect(page.getByTestId('verdict')).toContainText('for the mean of its 3 parents');

    await page.getByRole('tab', { name: 'Run history' }).click();
    const rows = page.getByTestId('history-row');
    await expect(rows.first()).toContainText('comparison');
    await expect(page.getByTestId('history-table')).toContainText('mean of 3 models');
    await page.getByTestId('history-row').filter({ hasText: 'mean of 3 models' }).first().click();
    await expect(page.getByTestId('run-recipe')).toContainText('method: mean');
    const before = await rows.count();
    await page.getByRole('button', { name: 'Delete…' }).click();
    await expect(page.getByRole('alertdialog', { name: 'Confirm delete' })).toContainText('Delete this run folder');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect(rows).toHaveCount(before - 1);
  });

  test('soups and search choose on the held-out split, the search chart fills as tries come in', async ({ page, appUrl }) => {
    test.setTimeout(120_000);
    await page.goto(appUrl);
    await nav(page, '5 Compare');
    for (const f of ckpts) await addModel(page, f);
    await page.getByRole('tab', { name: 'Soups & search' }).click();
    await expect(page.getByLabel('Held-out split')).toHaveValue('mnist:val');
    await page.getByLabel('Test split').fill('mnist:val');
    await expect(page.getByRole('alert')).toContainText('must not be the test split');
    await expect(page.getByRole('button', { name: 'Greedy soup' })).toBeDisabled();
    await page.getByLabel('Test split').fill('mnist:test');
    await page.getByRole('button', { name: 'Greedy soup' }).click();
    const soup = page.getByTestId('soup-result');
    await expect(soup).toBeVisible({ timeout: 60_000 });
    await expect(soup).toContainText(/Greedy soup of [1-3]: held-out \d+\.\d\d %, test \d+\.\d\d %/);
    await expect(soup.locator('tbody tr')).toHaveCount(3);
    await page.getByLabel('Budget').fill('5');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const result = page.getByTestId('search-result');
    await expect(result).toBeVisible({ timeout: 60_000 });
    // three models picked here (the Scheme screen has none): each model's weight is offered, the first ticked
    await expect(result).toContainText(/Best: weights\.0 [\d.]+ — held-out/);
    const live = page.getByTestId('chart-card-search');
    await expect(live.locator('svg')).toContainText('held-out accuracy (%)');
    await expect(page.getByTestId('chart-search')).toHaveAttribute('data-points', '5');
  });
});
