import fs from 'node:fs';
import path from 'node:path';
import { test, expect, SCRATCH } from './serve-fixture';

async function openTrain(page: import('@playwright/test').Page, appUrl: string) {
  await page.goto(appUrl);
  await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Train' })).toBeVisible();
}

test.describe('Train screen', () => {
  test('trains an MLP on MNIST with live charts, keeps checkpoints, and reports test accuracy', async ({ page, appUrl }) => {
    test.setTimeout(120_000);
    await openTrain(page, appUrl);
    await expect(page.getByRole('button', { name: 'Load the trained models →' })).toHaveCount(0);
    const form = page.getByRole('form', { name: 'Training settings' });
    await form.getByLabel('Architecture').selectOption('mlp');
    await form.getByLabel('Hidden widths').fill('64');
    await form.getByLabel('Epochs').fill('2');
    await form.getByLabel('Batch size').fill('64');
    await form.getByLabel('Optimizer').selectOption('adam');
    await form.getByLabel('Learning rate').fill('0.002');
    const out = path.join(SCRATCH, 'workspace', 'mlp-run');
    await form.getByLabel('Output folder').fill(out);
    await form.getByRole('button', { name: 'Start training' }).click();
    const job = page.locator('[data-testid^="job-job-"]').first();
    await expect(job).toHaveAttribute('data-status', 'running', { timeout: 20_000 });
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThan(5);
    await expect(job).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });
    await expect(page.getByTestId('checkpoints')).toContainText('epoch 2');
    const rows = page.getByRole('table', { name: 'Epochs' }).getByRole('row');
    await expect(rows).toHaveCount(3);
    const testAcc = Number((await rows.nth(2).getByRole('cell').nth(4).textContent())!.replace(' %', ''));
    expect(testAcc).toBeGreaterThan(80);
    expect(fs.existsSync(path.join(out, 'model.onnx'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'checkpoints', 'epoch-001.safetensors'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'checkpoints', 'epoch-002.safetensors'))).toBe(true);
    // the test accuracy legend entry has its marks: one point per epoch
    await expect(page.getByTestId('chart-accuracy').locator('g.mark-symbol.role-mark path')).toHaveCount(2);
    // only now does the screen lead on, straight to the checkpoints it made
    await page.getByRole('button', { name: 'Open the 2 checkpoints →' }).click();
    await expect(page.getByRole('heading', { name: 'Load models' })).toBeVisible();
    const open = page.getByRole('list', { name: 'Open models' });
    // each named by its run (the training) and the file's stem
    await expect(open.getByText(/^train · .*· epoch-001$/)).toBeVisible();
    await expect(open.getByText(/^train · .*· epoch-002$/)).toBeVisible();
    // a checkpoint holds weights only; the Graph tab shows the built-in architecture whose tensors they are
    await page.getByRole('tab', { name: 'Graph' }).click();
    await expect(page.getByTestId('graph-note')).toContainText("MLP on 1×28×28 inputs, 10 classes, hidden 64: its tensors are exactly this file's.");
    await expect(page.getByTestId('graph-view').locator('.react-flow__node').first()).toBeVisible();
  });

  test('Cancel stops training mid-epoch and marks the run cancelled', async ({ page, appUrl }) => {
    test.setTimeout(90_000);
    await openTrain(page, appUrl);
    const form = page.getByRole('form', { name: 'Training settings' });
    await form.getByLabel('Architecture').selectOption('smallcnn');
    await form.getByLabel('Epochs').fill('5');
    const out = path.join(SCRATCH, 'workspace', 'cancelled-run');
    await form.getByLabel('Output folder').fill(out);
    await form.getByRole('button', { name: 'Start training' }).click();
    const job = page.locator('[data-testid^="job-job-"]').first();
    await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThan(2);
    const t0 = Date.now();
    await job.getByRole('button', { name: 'Cancel' }).click();
    await expect(job).toHaveAttribute('data-status', 'cancelled', { timeout: 3000 });
    expect(Date.now() - t0).toBeLessThan(3000);
    const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(run.status).toBe('cancelled');
  });

  test('an output folder outside the allowed folders is refused with a clear error', async ({ page, appUrl }) => {
    await openTrain(page, appUrl);
    const form = page.getByRole('form', { name: 'Training settings' });
    await form.getByLabel('Output folder').fill('/etc/merge-studio-run');
    await form.getByRole('button', { name: 'Start training' }).click();
    await expect(page.getByRole('alert')).toContainText('outside the folders');
  });
});

test.describe('Train screen: fine-tuning', () => {
  test('fine-tunes a user\'s ONNX model exported by PyTorch', async ({ page, appUrl }) => {
    test.setTimeout(90_000);
    const { FIXTURES } = await import('./serve-fixture');
    await openTrain(page, appUrl);
    const form = page.getByRole('form', { name: 'Training settings' });
    await form.getByLabel('Architecture').selectOption({ label: 'My ONNX model (fine-tune)…' });
    await form.getByLabel('ONNX model file').fill(path.join(FIXTURES, 'train/torch-mlp.onnx'));
    await form.getByLabel('Epochs').fill('1');
    await form.getByLabel('Learning rate').fill('0.02');
    const out = path.join(SCRATCH, 'workspace', 'finetune');
    await form.getByLabel('Output folder').fill(out);
    await form.getByRole('button', { name: 'Start training' }).click();
    const job = page.locator('[data-testid^="job-job-"]').first();
    await expect(job).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 });
    const testAcc = Number((await page.getByRole('table', { name: 'Epochs' }).getByRole('row').nth(1).getByRole('cell').nth(4).textContent())!.replace(' %', ''));
    expect(testAcc).toBeGreaterThan(70);
    expect(fs.existsSync(path.join(out, 'model.onnx'))).toBe(true);
  });
});
