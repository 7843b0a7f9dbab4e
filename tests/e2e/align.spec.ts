// The Align screen on two MLPs trained from different seeds (by the CLI, one epoch each): the layer table matches
// every tensor, weight matching runs with progress and a per-group summary, the preview shows the naive and the
// aligned midpoint, and the Scheme screen's recipe carries the alignment.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test, expect, ROOT, SCRATCH } from './serve-fixture';

function trainMlp(seed: number): string {
  const out = path.join(SCRATCH, `align-mlp-${seed}`);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'out/main/cli.js'), 'train', '--arch', 'mlp', '--hidden', '64', '--dataset', 'mnist:train', '--epochs', '1',
    '--batch-size', '64', '--optimizer', 'adam', '--lr', '0.001', '--seed', String(seed), '--keep-from', '1', '--out', out], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return path.join(out, 'checkpoints', 'epoch-001.safetensors');
}

async function load(page: import('@playwright/test').Page, file: string, name: string) {
  await page.getByLabel('Model file path').fill(file);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByRole('list', { name: 'Open models' }).getByRole('button', { name: new RegExp(name) }).first()).toBeVisible();
}
const nav = (page: import('@playwright/test').Page, label: string) =>
  page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: label, exact: true }).click();

test('Align screen: layer table, weight matching with a summary, midpoint preview, align: in the recipe', async ({ page, appUrl }) => {
  test.setTimeout(240_000);
  const [a, b] = [trainMlp(1), trainMlp(2)];
  await page.goto(appUrl);
  await load(page, a, 'epoch-001');
  await load(page, b, 'epoch-001');
  await nav(page, '2 Align');
  const table = page.getByTestId('layer-table');
  await expect(table).toContainText('4 matched');
  await expect(table.locator('tr[data-status="matched"]')).toHaveCount(4);
  await page.getByRole('button', { name: 'Accept all' }).click();
  await expect(page.getByTestId('layers-accepted')).toBeVisible();
  await page.getByRole('radiogroup', { name: 'Alignment method' }).getByLabel(/Weight matching/).check();
  await page.getByRole('button', { name: 'Align now' }).click();
  const summary = page.getByTestId('align-summary');
  await expect(summary).toBeVisible({ timeout: 60_000 });
  await expect(summary).toContainText('layers.0');
  await expect(summary).not.toContainText('P_layers.0');
  await expect(summary).toContainText(/\d+\/64/);
  await page.getByRole('button', { name: 'Preview curve' }).click();
  const preview = page.getByTestId('curve-preview');
  await expect(preview).toBeVisible({ timeout: 120_000 });
  // the preview says whether its points were repaired; these MLPs have no BatchNorm and step 3 chose none
  await expect(preview).toContainText(/Midpoint test accuracy, without repair: naive \d+\.\d % · weight matching \d+\.\d %/);
  await expect(page.getByTestId('chart-interpolation curve')).toHaveAttribute('data-points', '10');
  const percents = [...(await preview.textContent() ?? '').matchAll(/(\d+\.\d) %/g)].map((m) => Number(m[1]));
  expect(Math.max(...percents)).toBeGreaterThan(1); // percent, not a fraction
  // repair for the preview only: said beside the numbers, kept out of the recipe
  const repairBox = page.getByRole('checkbox', { name: /Repair each point first \(REPAIR rescaling on mnist:train\)/ });
  await expect(repairBox).not.toBeChecked();
  await repairBox.check();
  await page.getByRole('button', { name: 'Preview curve' }).click();
  await expect(preview).toContainText('Midpoint test accuracy, with REPAIR rescaling on mnist:train:', { timeout: 120_000 });
  await nav(page, '3 Scheme');
  await expect(page.getByTestId('recipe-yaml')).toContainText('align:');
  await expect(page.getByTestId('recipe-yaml')).toContainText('method: weight');
  await expect(page.getByTestId('recipe-yaml')).toContainText('repair: none');
});

test('Align screen with models of different architectures says which tensors have no match', async ({ page, appUrl }) => {
  await page.goto(appUrl);
  await load(page, path.join(ROOT, 'tests/fixtures/align/vgg_a.safetensors'), 'vgg_a');
  await load(page, path.join(ROOT, 'tests/fixtures/align/mlp_a.safetensors'), 'mlp_a');
  await nav(page, '2 Align');
  await expect(page.getByTestId('layers-blocking')).toBeVisible();
  await expect(page.getByTestId('layer-table').locator('tr[data-status="missing"]').first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Align now' })).toBeDisabled();
});
