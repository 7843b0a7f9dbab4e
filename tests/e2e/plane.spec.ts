// The Compare screen's Loss plane tab as a person uses it, in Chromium against the served app: three checkpoints
// of a real MNIST run as A, B and C, their mean (merged by the CLI) marked on the plane; the heatmaps drawn.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test as base, expect } from '@playwright/test';
import { clearSavedState, ROOT, SCRATCH, startServe } from './serve-fixture';

const test = base.extend<{ appUrl: string }, { planeServer: { url: string } }>({
  planeServer: [async ({}, use) => {
    const s = await startServe();
    await use(s);
    await s.stop();
  }, { scope: 'worker' }],
  // each test starts from a clean saved wizard state (the served engine keeps it per workspace)
  appUrl: async ({ planeServer }, use) => { clearSavedState(); await use(planeServer.url); },
});

let files: string[] = [];

test.beforeAll(() => {
  const cli = (...args: string[]) => execFileSync(process.execPath, [path.join(ROOT, 'out/main/cli.js'), ...args], { stdio: 'ignore', timeout: 120_000 });
  const out = path.join(SCRATCH, 'plane-run');
  cli('train', '--arch', 'mlp', '--hidden', '32', '--dataset', 'mnist:fit', '--epochs', '3', '--keep-from', '1', '--lr', '0.05', '--momentum', '0.9', '--threads', '2', '--quiet', '--out', out);
  const ckpts = [1, 2, 3].map((e) => path.join(out, 'checkpoints', `epoch-00${e}.safetensors`));
  const recipe = path.join(SCRATCH, 'plane-mean.yaml');
  fs.writeFileSync(recipe, `method: mean\nmodels: [${ckpts.join(', ')}]\noutput: {path: ${path.join(SCRATCH, 'plane-mean.safetensors')}}\n`);
  cli('merge', recipe, '--workspace-dir', path.join(SCRATCH, 'plane-ws'));
  files = [...ckpts, path.join(SCRATCH, 'plane-mean.safetensors')];
});

test('the loss plane through three checkpoints, their mean marked at its projection', async ({ page, appUrl }) => {
  test.setTimeout(120_000);
  await page.goto(appUrl);
  await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: '5 Compare', exact: true }).click();
  for (const f of files) {
    await page.getByLabel('Model to compare').fill(f);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.getByRole('list', { name: 'Models to compare' }).getByText(path.basename(f), { exact: true })).toBeVisible();
  }
  await page.getByRole('tab', { name: 'Loss plane' }).click();
  await expect(page.getByText('Marked: plane-mean.safetensors')).toBeVisible();
  await page.getByLabel('Grid', { exact: true }).fill('5');
  await page.getByLabel('Examples per point', { exact: true }).fill('300');
  // A, B and C must differ
  await page.getByLabel('Plane model C').selectOption({ index: 0 });
  await expect(page.getByText('A, B and C must be three different models.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Measure the plane' })).toBeDisabled();
  await page.getByLabel('Plane model C').selectOption({ index: 2 });
  await page.getByRole('button', { name: 'Measure the plane' }).click();
  const result = page.getByTestId('plane-result');
  await expect(result).toBeVisible({ timeout: 90_000 });
  const chart = page.getByTestId('chart-card-plane').locator('svg');
  await expect(chart).toContainText('loss (cross-entropy)');
  await expect(chart).toContainText('accuracy (%)');
  await expect(chart).toContainText('plane-mean.safetensors');
  // 5 × 5 cells in each of the two heatmaps
  expect(await chart.locator('.mark-rect.role-mark path').count()).toBe(50);
  const rows = result.locator('tbody tr');
  await expect(rows).toHaveCount(4);
  await expect(rows.nth(3)).toContainText(/◆ plane-mean\.safetensors\s*\d+\.\d\d %/);
  // recorded as a run of the workspace, with plane.json in its folder
  const kept = await page.getByTestId('plane-run').locator('code').textContent();
  expect(path.dirname(kept!)).toBe(path.join(SCRATCH, 'workspace', 'runs'));
  expect(JSON.parse(fs.readFileSync(path.join(kept!, 'plane.json'), 'utf8')).points).toHaveLength(4);
});
