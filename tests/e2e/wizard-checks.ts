// The wizard checks, written once and run against both the browser-served app and the Electron window.
import { expect, type Page } from '@playwright/test';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Wizard steps' });

/** Opens About & diagnostics (versions, the engine self-test). */
export async function openAbout(page: Page): Promise<void> {
  await nav(page).getByRole('button', { name: 'About & diagnostics' }).click();
  await expect(page.getByRole('dialog', { name: 'About & diagnostics' })).toBeVisible();
}

export async function checkWizardLoads(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Load models' })).toBeVisible();
  for (const label of ['Train', '1 Load', '2 Align', '3 Scheme', '4 Run', '5 Compare']) {
    await expect(nav(page).getByRole('button', { name: label, exact: true })).toBeVisible();
  }
  await expect(page.getByTestId('engine-status')).toHaveText(/Engine ready · .*CPU/);
  await openAbout(page);
  const about = page.getByRole('dialog', { name: 'About & diagnostics' });
  await expect(about.getByTestId('ort-version')).toHaveText(/^\d+\.\d+\.\d+$/);
  await expect(about.getByTestId('providers')).toContainText('cpu');
  await about.getByRole('button', { name: 'Close' }).click();
  await expect(about).toBeHidden();
}

/** Every step of the wizard is a screen with a title and a lead. */
export async function checkEveryStepHasAScreen(page: Page): Promise<void> {
  const steps: [string, string][] = [['Train', 'Train'], ['2 Align', 'Align layers'], ['3 Scheme', 'Merge scheme'], ['4 Run', 'Run'], ['5 Compare', 'Compare'], ['1 Load', 'Load models']];
  for (const [button, heading] of steps) {
    await nav(page).getByRole('button', { name: button, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(heading);
    await expect(page.getByTestId('screen-lead')).not.toBeEmpty();
  }
}

async function startSelftest(page: Page, steps: number) {
  await openAbout(page);
  const about = page.getByRole('dialog', { name: 'About & diagnostics' });
  await about.getByLabel('Steps', { exact: true }).fill(String(steps));
  await about.getByRole('button', { name: 'Run self-test' }).click();
  return about;
}

export async function checkSelftestProgressAndCancel(page: Page): Promise<void> {
  const about = await startSelftest(page, 400);
  const job = about.locator('[data-status="running"]').first();
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
  const about = await startSelftest(page, 10);
  await expect(about.locator('[data-status="succeeded"]').first()).toBeVisible({ timeout: 10_000 });
  await expect(about.locator('[data-status="succeeded"]').first().getByTestId('job-counts')).toContainText('10 / 10');
}
