// Parameter search as a person runs it, in Chromium against the served app: three MNIST models fine-tuned from
// one base are opened, the Scheme screen gets TIES with that base, and the Compare screen's search varies that
// very recipe (all three models, the base): budget 11 scores 11 distinct λ, a new search's chart holds only its
// own points, and without the base the search says why.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { clearSavedState, ROOT, SCRATCH, startServe } from './serve-fixture';

const test = base.extend<{ appUrl: string }, { searchServer: { url: string } }>({
  searchServer: [async ({}, use) => {
    const s = await startServe();
    await use(s);
    await s.stop();
  }, { scope: 'worker' }],
  // each test starts from a clean saved wizard state (the served engine keeps it per workspace)
  appUrl: async ({ searchServer }, use) => { clearSavedState(); await use(searchServer.url); },
});

const dir = path.join(SCRATCH, 'search-models');
const files = { base: path.join(dir, 'base.safetensors'), low: path.join(dir, 'digits-0-4.safetensors'), high: path.join(dir, 'digits-5-9.safetensors'), all: path.join(dir, 'all-digits.safetensors') };

/** One epoch of the built CLI's training (real MNIST, a few seconds); the checkpoint copied to `to`. */
function train(to: string, extra: string[]) {
  const out = path.join(SCRATCH, `run-${path.basename(to, '.safetensors')}`);
  execFileSync(process.execPath, [path.join(ROOT, 'out/main/cli.js'), 'train', '--arch', 'mlp', '--hidden', '32', '--dataset', 'mnist:fit', '--epochs', '1', '--keep-from', '1',
    '--lr', '0.05', '--momentum', '0.9', '--threads', '2', '--quiet', '--out', out, ...extra], { stdio: 'ignore', timeout: 120_000 });
  fs.copyFileSync(path.join(out, 'checkpoints', 'epoch-001.safetensors'), to);
}

test.beforeAll(() => {
  fs.mkdirSync(dir, { recursive: true });
  train(files.base, ['--seed', '0']);
  // three fine-tunes of the base: on digits 0–4, on digits 5–9, on all digits with another data order
  train(files.low, ['--init-from', files.base, '--task', 'subset:0-4', '--seed', '1']);
  train(files.high, ['--init-from', files.base, '--task', 'subset:5-9', '--seed', '2']);
  train(files.all, ['--init-from', files.base, '--seed', '3']);
});

const nav = (page: Page, label: string) => page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: label, exact: true }).click();

async function openSearch(page: Page) {
  await nav(page, '5 Compare');
  await page.getByRole('tab', { name: 'Soups & search' }).click();
}

/** Points drawn in the live chart's SVG (one symbol per scored try). */
const drawnPoints = (page: Page) => page.getByTestId('chart-card-search').locator('svg .mark-symbol path');

test('a TIES search with a base varies the Scheme screen\'s recipe over 11 values of λ; without the base it says why', async ({ page, appUrl }) => {
  test.setTimeout(240_000);
  await page.goto(appUrl);
  for (const f of Object.values(files)) {
    await page.getByLabel('Model file path').fill(f);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.getByRole('list', { name: 'Open models' }).getByText(path.basename(f))).toBeVisible();
  }
  await nav(page, '3 Scheme');
  await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('TIES', { exact: true }).check();
  await page.getByLabel('Base model').selectOption({ label: 'base.safetensors' });
  await expect(page.getByTestId('recipe-yaml')).toContainText('base.safetensors');
  await expect(page.getByTestId('blocking')).toHaveCount(0);

  await openSearch(page);
  const source = page.getByTestId('search-source');
  await expect(source).toContainText('Scheme screen\'s recipe: 3 models (digits-0-4.safetensors, digits-5-9.safetensors, all-digits.safetensors), base base.safetensors');
  await expect(page.getByLabel('vary parameters.lambda')).toBeChecked();
  await expect(page.getByLabel('vary parameters.density')).not.toBeChecked();
  await page.getByLabel('Budget').fill('11');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const result = page.getByTestId('search-result');
  await expect(result).toBeVisible({ timeout: 180_000 });
  await expect(result).toContainText(/Best: lambda [\d.]+ — held-out \d+\.\d\d %, test \d+\.\d\d %/);
  const scored = page.locator('[data-testid="search-try"][data-scored="yes"]');
  await expect(scored).toHaveCount(11);
  const lambdas = new Set((await scored.locator('td:nth-child(2)').allTextContents()).map((t) => t.trim()));
  expect(lambdas.size).toBeGreaterThanOrEqual(9);
  await expect(drawnPoints(page)).toHaveCount(11);

  // a new search: its chart starts empty and holds only its own tries
  await page.getByLabel('Budget').fill('3');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page.getByTestId('search-try')).toHaveCount(3, { timeout: 120_000 });
  await expect(result).toBeVisible({ timeout: 120_000 });
  await expect(drawnPoints(page)).toHaveCount(3);
  await expect(page.getByTestId('search-tries')).toContainText('lambda 1');

  // without the base: refused before any try, with the reason in words
  await nav(page, '3 Scheme');
  await page.getByLabel('Base model').selectOption({ label: '— choose the base model —' });
  await expect(page.getByTestId('recipe-yaml')).not.toContainText('base:');
  await openSearch(page);
  await expect(source).toContainText('no base model');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('TIES needs a base model: choose one in the Base model field of the Scheme screen');
  await expect(page.getByTestId('search-try')).toHaveCount(0);
  await expect(page.getByTestId('chart-card-search')).toHaveCount(0);
});
