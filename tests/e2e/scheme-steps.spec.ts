// The Scheme screen says every step a merge will run before it runs, and a run records only what was shown:
// an alignment made on the Align screen is listed and recorded; removed on Scheme, it is gone from the next run's
// recipe. An explicit output path that exists blocks until "Replace the existing file" is ticked for that path.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, FIXTURES, SCRATCH } from './serve-fixture';

type Page = import('@playwright/test').Page;

async function load(page: Page, file: string) {
  await page.getByLabel('Model file path').fill(file);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByRole('list', { name: 'Open models' }).getByText(path.basename(file)).first()).toBeVisible();
}
const nav = (page: Page, label: string) =>
  page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: label, exact: true }).click();

const RUNS = path.join(SCRATCH, 'workspace', 'runs');

/**
 * Runs the merge shown on Scheme; its output and its run's recipe.yaml. Its default output lies in its run's own
 * new folder, which tells it from the results of earlier merges that the Run screen may still show.
 */
async function mergeAndReadRecipe(page: Page): Promise<{ output: string; recipe: string }> {
  const before = new Set(fs.existsSync(RUNS) ? fs.readdirSync(RUNS) : []);
  await expect(page.getByTestId('blocking')).toHaveCount(0);
  await page.getByRole('button', { name: 'Run merge →' }).click();
  const fresh = async () => (await page.getByTestId('merge-output').allTextContents()).map((t) => t.trim())
    .find((t) => path.dirname(path.dirname(t)) === RUNS && !before.has(path.basename(path.dirname(t))));
  await expect.poll(fresh, { timeout: 60_000 }).toBeTruthy();
  const output = (await fresh())!;
  return { output, recipe: fs.readFileSync(path.join(path.dirname(output), 'recipe.yaml'), 'utf8') };
}

test('an alignment shows on Scheme before the merge and is recorded only while shown', async ({ page, appUrl }) => {
  test.setTimeout(180_000);
  await page.goto(appUrl);
  await load(page, path.join(FIXTURES, 'align/mlp_a.safetensors'));
  await load(page, path.join(FIXTURES, 'align/mlp_b.safetensors'));
  await nav(page, '2 Align');
  await page.getByRole('radiogroup', { name: 'Alignment method' }).getByLabel(/Weight matching/).check();
  await page.getByRole('button', { name: 'Align now' }).click();
  await expect(page.getByTestId('align-summary')).toBeVisible({ timeout: 60_000 });

  await nav(page, '3 Scheme');
  const steps = page.getByTestId('recipe-steps');
  const alignStep = steps.getByTestId('recipe-step').filter({ hasText: 'Align the other models to mlp_a.safetensors by weight matching (Git Re-Basin)' });
  await expect(alignStep).toContainText('chosen on the Align screen');
  await expect(steps).toContainText('No BatchNorm repair after merging');
  await expect(steps).toContainText('Write the merged model to a new file in this merge\'s own run folder');
  const aligned = await mergeAndReadRecipe(page);
  expect(aligned.recipe).toMatch(/^align:\n\s+method: weight/m);

  await nav(page, '3 Scheme');
  await alignStep.getByRole('button', { name: /^Remove/ }).click();
  await expect(alignStep).toHaveCount(0);
  await expect(page.getByTestId('recipe-yaml')).not.toContainText('align:');
  const plain = await mergeAndReadRecipe(page);
  expect(path.dirname(plain.output)).not.toBe(path.dirname(aligned.output));
  expect(plain.recipe).toContain('method: mean');
  expect(plain.recipe).not.toMatch(/^align:/m);
});

test('an explicit output path that exists blocks until "Replace the existing file" is ticked for it', async ({ page, appUrl }) => {
  const existing = path.join(SCRATCH, 'scheme-steps-existing.safetensors');
  fs.writeFileSync(existing, 'an earlier result');
  await page.goto(appUrl);
  for (const i of [0, 1]) await load(page, path.join(FIXTURES, `merge/cnn_${i}.pt`));
  await nav(page, '3 Scheme');
  await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Mean', { exact: true }).check();
  await page.getByLabel('Output file').fill(existing);
  await expect(page.getByTestId('blocking')).toContainText('exists; nothing was replaced');
  await expect(page.getByRole('button', { name: 'Run merge →' })).toBeDisabled();

  const replace = page.getByRole('checkbox', { name: /Replace the existing file/ });
  await replace.check();
  await expect(page.getByTestId('recipe-steps')).toContainText(`Replace the file that is already at ${existing}`);
  await expect(page.getByTestId('recipe-yaml')).toContainText('overwrite: true');
  await expect(page.getByTestId('blocking')).toHaveCount(0);
  // another path has not been agreed to: the tick goes
  await page.getByLabel('Output file').fill(`${existing}.other`);
  await expect(replace).not.toBeChecked();
  await expect(page.getByTestId('recipe-yaml')).not.toContainText('overwrite');
  await page.getByLabel('Output file').fill(existing);
  await expect(page.getByTestId('blocking')).toContainText('exists; nothing was replaced');
  await replace.check();
  await expect(page.getByRole('button', { name: 'Run merge →' })).toBeEnabled();
  await page.getByRole('button', { name: 'Run merge →' }).click();
  // the Run screen may still show the results of the other tests' merges beside this one
  await expect.poll(async () => (await page.getByTestId('merge-output').allTextContents()).map((t) => t.trim()), { timeout: 60_000 }).toContain(existing);
  expect(fs.readFileSync(existing, 'utf8')).not.toBe('an earlier result');
});
