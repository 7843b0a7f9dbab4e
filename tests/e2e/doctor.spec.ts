// The merge doctor's Check panel on the Scheme screen and History's Verify button, in Chromium against the
// served app: three MLPs trained here (a base and two fine-tunes of it on the two halves of the digits),
// checked before the merge (verdict, memory, lineage, the interference heatmap), merged, then verified.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test as base, expect } from '@playwright/test';
import { clearSavedState, ROOT, SCRATCH, startServe } from './serve-fixture';

// A served app of its own: its Run screen and history hold only these jobs.
const test = base.extend<{ appUrl: string }, { doctorServer: { url: string } }>({
  doctorServer: [async ({}, use) => {
    const s = await startServe();
    await use(s);
    await s.stop();
  }, { scope: 'worker' }],
  // each test starts from a clean saved wizard state (the served engine keeps it per workspace)
  appUrl: async ({ doctorServer }, use) => { clearSavedState(); await use(doctorServer.url); },
});

const nav = (page: import('@playwright/test').Page, label: string) =>
  page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: label, exact: true }).click();

const models: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };

test.beforeAll(() => {
  const train = (name: string, extra: string[]) => {
    const out = path.join(SCRATCH, `doctor-${name}`);
    execFileSync(process.execPath, [path.join(ROOT, 'out/main/cli.js'), 'train', '--arch', 'mlp', '--hidden', '32', '--epochs', '1', '--lr', '0.05',
      '--momentum', '0.9', '--keep-from', '1', '--threads', '2', '--quiet', '--out', out, ...extra], { stdio: 'ignore', timeout: 120_000 });
    // named apart: the three runs' checkpoints share one file name
    const named = path.join(SCRATCH, `doctor-${name}.safetensors`);
    fs.copyFileSync(path.join(out, 'checkpoints', 'epoch-001.safetensors'), named);
    return named;
  };
  models.a = train('a', ['--dataset', 'mnist:fit', '--seed', '1']);
  models.b = train('b', ['--dataset', 'mnist:fit?task=subset:0-4', '--seed', '2', '--init-from', models.a]);
  models.c = train('c', ['--dataset', 'mnist:fit?task=subset:5-9', '--seed', '3', '--init-from', models.a]);
});

test('Check before merging: verdict, memory, lineage and heatmap; then the merge verified from History', async ({ page, appUrl }) => {
  test.setTimeout(120_000);
  await page.goto(appUrl);
  for (const f of [models.a, models.b, models.c]) {
    await page.getByLabel('Model file path').fill(f);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.getByRole('list', { name: 'Open models' }).getByText(path.basename(f))).toBeVisible();
  }
  await nav(page, '3 Scheme');
  await page.getByRole('radiogroup', { name: 'Merge method' }).getByLabel('Mean', { exact: true }).check();
  const out = path.join(SCRATCH, 'workspace', 'doctor-mean.safetensors');
  await page.getByLabel('Output file').fill(out);
  await expect(page.getByTestId('blocking')).toHaveCount(0);

  const panel = page.getByTestId('check-panel');
  await panel.getByLabel('Probe dataset').fill('mnist:test');
  await panel.getByLabel('Probe samples').fill('200');
  await panel.getByRole('button', { name: 'Check', exact: true }).click();
  const verdict = panel.getByTestId('check-verdict');
  await expect(verdict).toBeVisible({ timeout: 60_000 });
  await expect(verdict).toContainText('doctor-b.safetensors and doctor-c.safetensors are fine-tunes of doctor-a.safetensors');
  await expect(verdict).toContainText('TIES or DARE suggested');
  await expect(panel.getByTestId('check-memory')).toContainText(/Peak memory about \d+(\.\d)? MB of [\d.]+ [GMT]B free/);
  await expect(panel.getByTestId('check-lineage')).toContainText('Needs alignment: none');
  await expect(panel.getByTestId('check-probe')).toContainText('naive midpoint');
  const heatmap = panel.getByTestId('chart-card-interference');
  await expect(heatmap.locator('svg')).toContainText('layers.2');
  await expect(heatmap.locator('svg')).toContainText('sign conflict');
  // the check is a run of the workspace, named where it is kept
  await expect(panel.getByTestId('check-run')).toContainText(path.join(SCRATCH, 'workspace', 'runs'));
  await panel.screenshot({ path: path.join(ROOT, 'test-results/screenshots/scheme-check.png') });

  await page.getByRole('button', { name: 'Run merge →' }).click();
  await expect(page.getByTestId('merge-result')).toBeVisible({ timeout: 60_000 });
  await nav(page, '5 Compare');
  await page.getByRole('tab', { name: 'Run history' }).click();
  await page.getByTestId('history-row').filter({ hasText: 'merge' }).first().click();
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(page.getByTestId('verify-verdict')).toHaveText('verified: identical', { timeout: 60_000 });
  await expect(page.getByTestId('verify-result')).toContainText('doctor-b');
  // the check and the verification are in the history beside the merge, the verification with its result
  const rows = page.getByTestId('history-table');
  await expect(rows.getByTestId('history-row').filter({ hasText: 'Verify doctor-mean.safetensors: identical' })).toHaveCount(1);
  await expect(rows.getByTestId('history-row').filter({ hasText: 'Check doctor-a.safetensors, doctor-b.safetensors, doctor-c.safetensors (probe on mnist:test)' })).toHaveCount(1);
});
