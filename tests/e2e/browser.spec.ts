import { test, expect } from './serve-fixture';
import { checkEveryStepHasAScreen, checkSelftestCompletes, checkSelftestProgressAndCancel, checkWizardLoads } from './wizard-checks';

test.describe('browser-served app', () => {
  test('the wizard loads and shows onnxruntime\'s version', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await checkWizardLoads(page);
  });

  test('every wizard step is a screen with a title and an explanation', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await checkEveryStepHasAScreen(page);
  });

  test('selftest runs to completion', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await checkSelftestCompletes(page);
  });

  test('the progress bar advances with an ETA and Cancel stops it within a second', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await checkSelftestProgressAndCancel(page);
  });

  test('without the token the page is refused', async ({ page, appUrl }) => {
    const res = await page.goto(appUrl.replace(/\?token=.*/, ''));
    expect(res?.status()).toBe(401);
  });
});
