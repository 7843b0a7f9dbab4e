import fs from 'node:fs';
import path from 'node:path';
import { test, expect, FIXTURES, SCRATCH } from './serve-fixture';

async function load(page: import('@playwright/test').Page, file: string) {
  await page.getByLabel('Model file path').fill(file);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByRole('list', { name: 'Open models' }).getByText(path.basename(file))).toBeVisible();
}
const nav = (page: import('@playwright/test').Page, label: string) =>
  page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: label, exact: true }).click();

test.describe('Scheme and Run screens', () => {
  test('merges three PyTorch checkpoints by their mean: truthful pre-flight, progress, output with its hash', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    for (const i of [0, 1, 2]) await load(page, path.join(FIXTURES, `merge/cnn_${i}.pt`));
    await nav(page, '3 Scheme');
    await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Mean', { exact: true }).check();
    const out = path.join(SCRATCH, 'workspace', 'mean-of-three.safetensors');
    await page.getByLabel('Output file').fill(out);
    const summary = page.getByTestId('preflight-summary');
    await expect(summary).toContainText('tensors merged');
    await expect(page.getByTestId('recipe-yaml')).toContainText('method: mean');
    await expect(page.getByTestId('recipe-yaml')).toContainText('cnn_2.pt');
    await expect(page.getByTestId('blocking')).toHaveCount(0);
    await page.getByRole('button', { name: 'Run merge →' }).click();
    await expect(page.getByRole('heading', { name: 'Run', exact: true })).toBeVisible();
    await expect(page.getByTestId('merge-result')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('merge-output')).toHaveText(out);
    expect(fs.existsSync(out)).toBe(true);
    await expect(page.getByTestId('merge-sha')).toHaveText(/^[0-9a-f]{64}$/);
    // and the run is in the workspace's history
    await expect(page.getByTestId('run-history').getByTestId('run-status').first()).toHaveText('succeeded');
  });

  test('a failed merge after a successful one replaces its result card: the success does not stay', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    for (const i of [0, 1]) await load(page, path.join(FIXTURES, `merge/cnn_${i}.pt`));
    await nav(page, '3 Scheme');
    await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Mean', { exact: true }).check();
    const good = path.join(SCRATCH, 'workspace', 'then-fails-good.safetensors');
    await page.getByLabel('Output file').fill(good);
    await page.getByRole('button', { name: 'Run merge →' }).click();
    await expect(page.getByTestId('merge-result')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('merge-output')).toHaveText(good);
    // the second merge's output folder passes the pre-flight, then becomes a file before Run: it cannot succeed
    const folder = path.join(SCRATCH, 'workspace', 'soon-a-file');
    fs.mkdirSync(folder, { recursive: true });
    await nav(page, '3 Scheme');
    await page.getByLabel('Output file').fill(path.join(folder, 'merged.safetensors'));
    await expect(page.getByRole('button', { name: 'Run merge →' })).toBeEnabled();
    fs.rmdirSync(folder);
    fs.writeFileSync(folder, 'a file, not a folder');
    await page.getByRole('button', { name: 'Run merge →' }).click();
    await expect(page.locator('[data-status="failed"]')).toBeVisible({ timeout: 30_000 });
    await expect(page.locator('[data-status="failed"]').getByRole('alert')).not.toBeEmpty();
    await expect(page.getByTestId('merge-result')).toHaveCount(0);
    // no merge's success card stays (an earlier spec's self-test job card may be listed on its own)
    await expect(page.locator('[data-status="succeeded"]').filter({ hasText: /^Merge \d+ models/ })).toHaveCount(0);
  });

  test('pre-flight explains what blocks, and Run stays off', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await load(page, path.join(FIXTURES, 'merge/cnn_0.pt'));
    await load(page, path.join(FIXTURES, 'merge/cnn_1.pt'));
    await load(page, path.join(FIXTURES, 'formats/tiny_cnn_b.safetensors'));
    await nav(page, '3 Scheme');
    await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Mean', { exact: true }).check();
    await expect(page.getByTestId('blocking')).toBeVisible();
    await expect(page.getByTestId('blocking')).toContainText(/missing|is .* in .* but|differ/);
    await expect(page.getByRole('button', { name: 'Run merge →' })).toBeDisabled();
    // with the odd model left out, nothing blocks a mean… but a task-vector method without its base does
    await page.getByRole('checkbox', { name: /tiny_cnn_b/ }).uncheck();
    await expect(page.getByTestId('blocking')).toHaveCount(0);
    await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Task arithmetic').check();
    await expect(page.getByTestId('blocking')).toContainText(/base/i);
    await expect(page.getByRole('button', { name: 'Run merge →' })).toBeDisabled();
  });

  test('per-layer rule: keep the classifier head from one model', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    for (const i of [0, 1]) await load(page, path.join(FIXTURES, `merge/cnn_${i}.pt`));
    await nav(page, '3 Scheme');
    await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Mean', { exact: true }).check();
    const groups = page.getByRole('region', { name: 'Per-layer rules' });
    await expect(groups).toBeVisible();
    const lastGroup = groups.locator('tr[data-testid^="group-"]').last();
    const match = (await lastGroup.getAttribute('data-testid'))!.replace('group-', '');
    await lastGroup.getByLabel(`action for ${match}`).selectOption('from');
    await lastGroup.getByLabel(`keep ${match} from`).selectOption('1');
    await expect(page.getByTestId('recipe-yaml')).toContainText(`from: 1`);
    await expect(page.getByTestId('preflight-summary')).toContainText(/[1-9]\d* copied/);
  });
});
