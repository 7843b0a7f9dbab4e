import fs from 'node:fs';
import path from 'node:path';
import { test, expect, FIXTURES, SCRATCH } from './serve-fixture';

const nav = (page: import('@playwright/test').Page, label: string) =>
  page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: label, exact: true }).click();

/** The one import action, its file choice. */
async function importFile(page: import('@playwright/test').Page, file: string) {
  await page.getByRole('button', { name: 'Import mergekit config…' }).click();
  const panel = page.getByRole('group', { name: 'Import a mergekit config' });
  await panel.getByLabel('From a file').check();
  await panel.getByLabel('mergekit config file').fill(file);
  await panel.getByRole('button', { name: 'Import', exact: true }).click();
}

test.describe('Scheme screen: a mergekit config', () => {
  test('imports a dare_ties config file with mergekit\'s defaults shown as controls, and runs it', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await nav(page, '3 Scheme');
    await importFile(page, path.join(FIXTURES, 'merge/mergekit/dare_ties.yml'));
    await expect(page.getByRole('status')).toContainText('Imported the mergekit config');
    await expect(page.getByTestId('mergekit-not-carried')).toContainText('int8_mask');
    const yaml = page.getByTestId('recipe-yaml');
    await expect(yaml).toContainText('method: dare_ties');
    await expect(yaml).toContainText('density: 1');
    await expect(yaml).toContainText('normalize: false');
    // The switch is a checkbox, the rescale a drop-down, with the imported values.
    const normalize = page.getByRole('region', { name: 'Method' }).getByRole('checkbox', { name: 'normalize' });
    await expect(normalize).not.toBeChecked();
    await expect(page.getByRole('combobox', { name: 'rescale' })).toHaveValue('l1');
    await normalize.check();
    await expect(yaml).toContainText('normalize: true');
    await normalize.uncheck();
    await expect(yaml).toContainText('normalize: false');
    const out = path.join(SCRATCH, 'workspace', 'dare-ties.safetensors');
    await page.getByLabel('Output file').fill(out);
    await expect(page.getByTestId('preflight-summary')).toContainText('tensors merged');
    await expect(page.getByTestId('blocking')).toHaveCount(0);
    await page.getByRole('button', { name: 'Run merge →' }).click();
    // The Run screen lists every job of the served engine: wait for this one's output.
    await expect(page.getByTestId('merge-output').filter({ hasText: out })).toHaveCount(1, { timeout: 30_000 });
    expect(fs.existsSync(out)).toBe(true);
  });

  test('one import action: pasted text works as the file does, and the two choices share one button', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await nav(page, '3 Scheme');
    const recipe = page.getByRole('region', { name: 'Recipe' });
    await expect(recipe.getByRole('button', { name: /import/i })).toHaveCount(1);
    await page.getByRole('button', { name: 'Import mergekit config…' }).click();
    const panel = page.getByRole('group', { name: 'Import a mergekit config' });
    await panel.getByLabel('Paste its text').check();
    await panel.getByLabel('mergekit config text').fill(fs.readFileSync(path.join(FIXTURES, 'merge/mergekit/dare_ties.yml'), 'utf8'));
    await panel.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(page.getByRole('status')).toContainText('Imported the pasted mergekit config');
    await expect(panel).toHaveCount(0);
    await expect(page.getByTestId('recipe-yaml')).toContainText('method: dare_ties');
    await expect(page.getByTestId('mergekit-not-carried')).toContainText('int8_mask');
  });

  test('keeps the layer rules of a slerp config with filter gradients', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await nav(page, '3 Scheme');
    await importFile(page, path.join(FIXTURES, 'merge/mergekit/slerp.yml'));
    await expect(page.getByTestId('extra-rules')).toContainText('*self_attn*');
    await expect(page.getByTestId('recipe-yaml')).toContainText('over: blocks');
    await expect(page.getByTestId('recipe-yaml')).toContainText('t: [0, 0.5, 0.3, 0.7, 1]');
  });
});
