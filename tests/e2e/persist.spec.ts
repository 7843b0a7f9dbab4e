// The wizard's state survives (issue 20 item 2): models and Scheme choices are kept across steps and a reload
// (kept by the engine in the workspace, since the served page's address changes at every start); a model file
// gone since is listed as a load error; "New merge" clears it all, after asking.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, FIXTURES, SCRATCH } from './serve-fixture';

type Page = import('@playwright/test').Page;
const STATE = path.join(SCRATCH, 'workspace', '.merge-studio', 'ui-state.json');
const saved = () => (fs.existsSync(STATE) ? JSON.parse(fs.readFileSync(STATE, 'utf8')) : null);

async function load(page: Page, file: string) {
  await page.getByLabel('Model file path').fill(file);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByRole('list', { name: 'Open models' }).getByText(path.basename(file))).toBeVisible();
}
const nav = (page: Page, label: string) =>
  page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: label, exact: true }).click();

test('models and Scheme choices survive steps and a reload; a gone file is a load error; New merge starts clean', async ({ page, appUrl }) => {
  const a = path.join(FIXTURES, 'merge/cnn_0.pt');
  const b = path.join(FIXTURES, 'merge/cnn_1.pt');
  const gone = path.join(SCRATCH, `soon-gone-${Date.now()}.pt`);
  fs.copyFileSync(path.join(FIXTURES, 'merge/cnn_2.pt'), gone);

  await page.goto(appUrl);
  for (const f of [a, b, gone]) await load(page, f);
  await nav(page, '3 Scheme');
  const method = page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Weighted average', { exact: true });
  await method.check();
  await page.getByLabel(`weight of ${b}`).fill('0.25');
  await expect(page.getByTestId('recipe-yaml')).toContainText('weight: 0.25');

  // another step and back: kept
  await nav(page, '1 Load');
  await nav(page, '3 Scheme');
  await expect(method).toBeChecked();
  await expect(page.getByLabel(`weight of ${b}`)).toHaveValue('0.25');

  // saved by the engine in the workspace, by path and settings only
  await expect.poll(() => saved()?.schemeForm?.method).toBe('weighted');
  await expect.poll(() => saved()?.schemeForm?.models?.find((m: { path: string }) => m.path === b)?.weight).toBe(0.25);
  expect(saved().models.paths).toEqual([a, b, gone]);
  expect(saved().step).toBe('scheme');

  // a reload: the models are reopened (the one deleted meanwhile is listed as a load error) and Scheme is as left
  fs.rmSync(gone);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Merge scheme' })).toBeVisible();
  await expect(method).toBeChecked();
  await expect(page.getByLabel(`weight of ${b}`)).toHaveValue('0.25');
  await expect(page.getByTestId('recipe-yaml')).toContainText('weight: 0.25');
  await nav(page, '1 Load');
  await expect(page.getByRole('list', { name: 'Open models' }).locator('li')).toHaveCount(2);
  await expect(page.getByRole('list', { name: 'Open models' }).locator('li').nth(0)).toContainText('cnn_0.pt');
  await expect(page.getByRole('list', { name: 'Open models' }).locator('li').nth(1)).toContainText('cnn_1.pt');
  await expect(page.getByTestId('load-error')).toContainText(path.basename(gone));
  await expect(page.getByTestId('load-error')).toContainText('could not be opened again');

  // New merge asks first; keeping work changes nothing
  await page.getByRole('button', { name: 'New merge' }).click();
  const ask = page.getByRole('alertdialog', { name: 'Start a new merge' });
  await expect(ask).toContainText('The open models and settings are cleared; files and runs stay.');
  await ask.getByRole('button', { name: 'Keep working' }).click();
  await expect(page.getByRole('list', { name: 'Open models' }).locator('li')).toHaveCount(2);

  await page.getByRole('button', { name: 'New merge' }).click();
  await page.getByRole('alertdialog', { name: 'Start a new merge' }).getByRole('button', { name: 'Start new merge' }).click();
  await expect(page.getByRole('list', { name: 'Open models' })).toHaveCount(0);
  await expect(page.getByTestId('load-error')).toHaveCount(0);
  await expect.poll(() => saved()?.models?.paths).toEqual([]);
  expect(saved().schemeForm).toBeNull();
  expect(fs.existsSync(a) && fs.existsSync(b)).toBe(true); // files stay

  // and it stays clean after a reload: Scheme starts from nothing once a model is opened again
  await page.reload();
  await expect(page.getByTestId('nav-hint-scheme')).toHaveText('open models first');
  await load(page, a);
  await nav(page, '3 Scheme');
  await expect(page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Weighted average', { exact: true })).not.toBeChecked();
  await expect(page.getByTestId('recipe-yaml')).not.toContainText('cnn_1.pt');
});
