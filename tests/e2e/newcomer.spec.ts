// The whole path a new user takes, in light and in dark: an empty wizard that points the way, three
// checkpoints opened through the file browser, their statistics and a graph, a mean, then TIES with the base
// picked from the dropdown, both run to their results. Every screen gets an axe-core scan (no serious or
// critical violation) and a screenshot kept under test-results/screenshots/ (CI keeps test-results/).
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, FIXTURES, ROOT, startServe } from './serve-fixture';

const SHOTS = path.join(ROOT, 'test-results', 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

const nav = (page: Page) => page.getByRole('navigation', { name: 'Wizard steps' });
const go = (page: Page, label: string) => nav(page).getByRole('button', { name: label, exact: true }).click();

/** Fails with the rule, its help and the offending elements, for each serious or critical violation. */
async function scan(page: Page, what: string): Promise<void> {
  // The graph canvas is React Flow's own widget; its node labels are checked by what they say, below.
  const result = await new AxeBuilder({ page }).exclude('.react-flow__renderer').analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.slice(0, 5).map((n) => `  ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1, 2).join('')}`).join('\n')}`).join('\n');
  expect(text, `${what}: axe found serious or critical violations`).toBe('');
}

async function shot(page: Page, theme: string, name: string, fullPage = true): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `${theme}-${name}.png`), fullPage });
}

/** Nothing in the tensor statistics card is wider than its box. */
async function expectStatsFit(page: Page): Promise<void> {
  const panel = page.getByTestId('tensor-stats');
  const overflow = await panel.evaluate((el) => {
    const box = el.getBoundingClientRect();
    return [...el.querySelectorAll('dt, dd, div')].filter((c) => {
      const r = c.getBoundingClientRect();
      return c.scrollWidth > c.clientWidth + 1 || r.right > box.right + 0.5 || r.left < box.left - 0.5;
    }).map((c) => c.textContent);
  });
  expect(overflow).toEqual([]);
}

for (const theme of ['light', 'dark'] as const) {
  test(`a new user merges three checkpoints by mean, then by TIES with a base (${theme})`, async ({ page }) => {
    test.setTimeout(240_000);
    // A newcomer's engine has run nothing yet: a server of its own, not the one the other specs share.
    const served = await startServe();
    try {
      await walk(page, served.url, theme);
    } finally {
      await served.stop();
    }
  });
}

/** The path itself, screen by screen. */
async function walk(page: Page, appUrl: string, theme: 'light' | 'dark'): Promise<void> {
  const consoleErrors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await page.emulateMedia({ colorScheme: theme });
  await page.goto(appUrl);
  await expect(page.getByRole('heading', { name: 'Load models' })).toBeVisible();
  await expect(page.locator('html')).toHaveClass(theme === 'dark' ? /\bdark\b/ : /^(?!.*\bdark\b)/);
  await expect(page.getByTestId('engine-status')).toContainText('Engine ready');
  await scan(page, 'Load, empty');
  await shot(page, theme, '01-load-empty');

  // Before any model: the sidebar says what Scheme and Run wait for, and nothing pretends to work.
  await expect(page.getByTestId('nav-hint-scheme')).toHaveText('open models first');
  await expect(page.getByTestId('nav-hint-run')).toHaveText('start a merge on Scheme');
  await expect(page.getByRole('button', { name: /→$/ })).toHaveCount(0);
  await go(page, 'Train');
  await expect(page.getByRole('button', { name: 'Load the trained models →' })).toHaveCount(0);
  await scan(page, 'Train');
  await shot(page, theme, '02-train');
  await go(page, '3 Scheme');
  const guide = page.getByRole('note', { name: 'Nothing to merge yet' });
  await expect(guide).toBeVisible();
  await expect(page.getByTestId('preflight-waiting')).toBeVisible();
  await expect(page.getByTestId('blocking')).toHaveCount(0);
  await expect(page.getByTestId('preflight-summary')).toHaveCount(0);
  await scan(page, 'Scheme, empty');
  await shot(page, theme, '03-scheme-empty');
  await go(page, '4 Run');
  await expect(page.getByRole('note', { name: 'No merge has started yet' })).toBeVisible();
  await scan(page, 'Run, empty');
  await page.getByRole('button', { name: 'Open models →' }).click();

  // Open three checkpoints through the file browser.
  await expect(page.getByRole('heading', { name: 'Load models' })).toBeVisible();
  await page.getByRole('button', { name: 'Open files…' }).click();
  const browser = page.getByRole('dialog', { name: 'Choose model files' });
  await browser.getByLabel('Folder roots').selectOption(FIXTURES);
  await browser.getByRole('button', { name: 'merge', exact: true }).click();
  await expect(browser.getByTestId('browse-dir')).toHaveText(path.join(FIXTURES, 'merge'));
  for (const f of ['cnn_0.pt', 'cnn_1.pt', 'cnn_2.pt']) await browser.getByLabel(f, { exact: true }).check();
  await scan(page, 'file browser');
  await shot(page, theme, '04-file-browser');
  await browser.getByRole('button', { name: 'Open 3 selected' }).click();
  const open = page.getByRole('list', { name: 'Open models' });
  for (const f of ['cnn_0.pt', 'cnn_1.pt', 'cnn_2.pt']) await expect(open.getByText(f, { exact: true })).toBeVisible();
  await expect(page.getByTestId('nav-hint-scheme')).toHaveCount(0);

  // One tensor's statistics fit their card; the Graph tab says why a .pt file has no graph and offers one.
  await page.getByRole('row').filter({ hasText: 'classifier.1.weight' }).first().click();
  await expect(page.getByTestId('stat-std')).not.toHaveText('—');
  await expectStatsFit(page);
  await scan(page, 'Load, tensor statistics');
  await shot(page, theme, '05-load-stats');
  await page.getByRole('tab', { name: 'Graph' }).click();
  await expect(page.getByTestId('no-graph-reason')).toContainText('holds the weights only');
  await page.getByRole('button', { name: 'Open an ONNX graph…' }).click();
  const graphPicker = page.getByRole('dialog', { name: 'Choose an ONNX graph' });
  await graphPicker.getByLabel('Folder roots').selectOption(FIXTURES);
  await graphPicker.getByRole('button', { name: 'merge', exact: true }).click();
  await graphPicker.getByLabel('cnn_2.onnx', { exact: true }).check();
  await graphPicker.getByRole('button', { name: 'Choose' }).click();
  await expect(page.getByTestId('graph-note')).toContainText('The graph of cnn_2.onnx');
  await expect(page.getByTestId('graph-view').locator('.react-flow__node').first()).toBeVisible();
  expect(await page.getByTestId('graph-view').locator('.react-flow__node').count()).toBeGreaterThan(3);
  await scan(page, 'Load, graph');
  await shot(page, theme, '06-load-graph');

  // Mean of the three.
  await page.getByRole('button', { name: 'Pick a merge scheme →' }).click();
  await expect(page.getByRole('heading', { name: 'Merge scheme' })).toBeVisible();
  await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Mean', { exact: true }).check();
  // the output left empty: the merge writes into its own run folder (nothing earlier is replaced)
  const out = page.getByLabel('Output file');
  await expect(out).toHaveValue('');
  await expect(page.getByTestId('preflight-summary')).toContainText('tensors merged');
  await expect(page.getByTestId('blocking')).toHaveCount(0);
  await scan(page, 'Scheme, mean');
  await shot(page, theme, '07-scheme-mean');
  await page.getByRole('button', { name: 'Run merge →' }).click();
  await expect(page.getByRole('heading', { name: 'Run', exact: true })).toBeVisible();
  const meanResult = page.getByTestId('merge-result');
  await expect(meanResult).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('merge-output')).toHaveText(/runs[\\/][^\\/]+-mean[^\\/]*[\\/]merged\.safetensors$/);
  // the run ends with its result, in words, not with the last tensor's name
  const counts = page.locator('[data-status="succeeded"]').getByTestId('job-counts');
  await expect(counts).toHaveText(/^Done: wrote merged\.safetensors \(\d+(\.\d)? KB\) in \d+\.\d s$/);
  await scan(page, 'Run, mean done');
  await shot(page, theme, '08-run-mean');

  // TIES: the pre-flight points to the Base model field; the base comes from the dropdown.
  await go(page, '3 Scheme');
  await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('TIES', { exact: true }).check();
  await expect(page.getByTestId('blocking')).toContainText('choose one in the Base model field');
  await expect(page.getByTestId('blocking')).not.toContainText('`');
  const base = page.getByLabel('Base model');
  const baseOptions = await base.locator('option').allTextContents();
  expect(baseOptions).toEqual(expect.arrayContaining(['cnn_0.pt', 'cnn_1.pt', 'cnn_2.pt', 'Browse for another file…']));
  await base.selectOption({ label: 'cnn_0.pt' });
  await expect(page.getByRole('checkbox', { name: /use .*cnn_0\.pt$/ })).not.toBeChecked();
  await expect(page.getByTestId('blocking')).toHaveCount(0);
  await expect(page.getByTestId('recipe-yaml')).toContainText(/base: .*cnn_0\.pt/);
  // a path of one's own (relative: in the workspace); it must not exist yet
  await out.fill(`newcomer-${theme}-ties.safetensors`);
  await expect(page.getByTestId('preflight-summary')).toContainText('tensors merged');
  await scan(page, 'Scheme, TIES');
  await shot(page, theme, '09-scheme-ties');
  await page.getByRole('button', { name: 'Run merge →' }).click();
  await expect(page.getByRole('heading', { name: 'Run', exact: true })).toBeVisible();
  // the Run screen shows the newest merge: the TIES one replaces the mean's card
  await expect(page.getByTestId('merge-output')).toHaveText(/newcomer-.*-ties\.safetensors$/, { timeout: 60_000 });
  await expect(page.locator('[data-status="succeeded"]')).toHaveCount(1);
  await expect(counts.first()).toHaveText(/^Done: wrote newcomer-.*-ties\.safetensors/);
  await scan(page, 'Run, TIES done');
  await shot(page, theme, '10-run-ties');

  // About & diagnostics holds what is not part of the wizard.
  await nav(page).getByRole('button', { name: 'About & diagnostics' }).click();
  const about = page.getByRole('dialog', { name: 'About & diagnostics' });
  await expect(about.getByTestId('ort-version')).toHaveText(/^\d+\.\d+\.\d+$/);
  await scan(page, 'About');
  await shot(page, theme, '11-about', false);
  expect(consoleErrors, 'console errors (a missing favicon would be one)').toEqual([]);
}

test('the theme follows the system until the user picks one, and remembers the choice', async ({ page, appUrl }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(appUrl);
  const html = page.locator('html');
  const theme = page.getByRole('group', { name: 'Colour theme' });
  await expect(theme.getByRole('button', { name: 'System' })).toHaveAttribute('aria-pressed', 'true');
  await expect(html).not.toHaveClass(/\bdark\b/);
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(html).toHaveClass(/\bdark\b/);
  // the page's colours change with it (the palette variables, not per-element classes)
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const darkBg = await bg();
  await theme.getByRole('button', { name: 'Light' }).click();
  await expect(html).not.toHaveClass(/\bdark\b/);
  expect(await bg()).not.toBe(darkBg);
  await page.reload();
  await expect(page.getByRole('group', { name: 'Colour theme' }).getByRole('button', { name: 'Light' })).toHaveAttribute('aria-pressed', 'true');
  await expect(html).not.toHaveClass(/\bdark\b/);
  await page.getByRole('group', { name: 'Colour theme' }).getByRole('button', { name: 'Dark' }).click();
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(html).toHaveClass(/\bdark\b/);
});
