// The wizard checks, written once and run against both the browser-served app and the Electron window.
import { expect, type Page } from '@playwright/test';

export async function checkWizardLoads(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Load models' })).toBeVisible();
  for (const label of ['Train', '1 Load', '2 Align', '3 Scheme', '4 Run', '5 Compare']) {
    await expect(page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: label, exact: true })).toBeVisible();
  }
  await expect(page.getByTestId('ort-version')).toHaveText(/^\d+\.\d+\.\d+$/);
  await expect(page.getByTestId('providers')).toContainText('cpu');
}

export async function checkEveryStepHasAScreen(page: Page): Promise<void> {
  const steps: [string, string][] = [
    ['Train', 'Train'], ['2 Align', 'Align layers'], ['3 Scheme', 'Merge scheme'], ['4 Run', 'Run'], ['5 Compare', 'Compare'], ['1 Load', 'Load models'],
  ];
  for (const [button, heading] of steps) {
    await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: button, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(heading);
    await expect(page.getByTestId('screen-lead')).not.toBeEmpty();
  }
}

export async function checkSelftestProgressAndCancel(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: '4 Run', exact: true }).click();
  await page.getByLabel('Steps', { exact: true }).fill('400');
  await page.getByRole('button', { name: 'Run self-test' }).click();
  const job = page.locator('[data-status="running"]').first();
  await expect(job).toBeVisible();
  const bar = job.getByRole('progressbar');
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 10_000 }).toBeGreaterThan(3);
  const first = Number(await bar.getAttribute('aria-valuenow'));
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 10_000 }).toBeGreaterThan(first);
  await expect(job.getByTestId('job-eta')).toHaveText(/left/);
  const id = await job.getAttribute('data-testid');
  const t0 = Date.now();
  await job.getByRole('button', { name: 'Cancel' }).click();
  const card = page.getByTestId(id!);
  await expect(card).toHaveAttribute('data-status', 'cancelled', { timeout: 1000 });
  expect(Date.now() - t0).toBeLessThan(1000);
  const stoppedAt = Number(await card.getByRole('progressbar').getAttribute('aria-valuenow'));
  expect(stoppedAt).toBeLessThan(400);
}

export async function checkSelftestCompletes(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: '4 Run', exact: true }).click();
  await page.getByLabel('Steps', { exact: true }).fill('10');
  await page.getByRole('button', { name: 'Run self-test' }).click();
  await expect(page.locator('[data-status="succeeded"]').first()).toBeVisible({ timeout: 10_000 });
  await expect(page.locator('[data-status="succeeded"]').first().getByTestId('job-counts')).toContainText('10 / 10');
}
