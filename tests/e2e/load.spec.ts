import fs from 'node:fs';
import path from 'node:path';
import { test, expect, FIXTURES, SCRATCH } from './serve-fixture';

const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pytorch/expected.json'), 'utf8'));

function f32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** A safetensors file with `n` small tensors, written by hand (the format is a JSON header + bytes). */
function writeManyTensors(file: string, n: number): void {
  const header: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) header[`layers.${i}.weight`] = { dtype: 'F32', shape: [2], data_offsets: [i * 8, i * 8 + 8] };
  let json = Buffer.from(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const data = Buffer.alloc(n * 8);
  for (let i = 0; i < n; i++) { data.writeFloatLE(i, i * 8); data.writeFloatLE(-i, i * 8 + 4); }
  fs.writeFileSync(file, Buffer.concat([len, json, data]));
}

test.describe('Load screen', () => {
  test('opens a PyTorch state dict: format, tensors, and statistics that match what PyTorch saved', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await page.getByLabel('Model file path').fill(path.join(FIXTURES, 'pytorch/smallcnn.pt'));
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.getByTestId('model-format')).toHaveText('pytorch');
    const tensors = expected['smallcnn.pt'].tensors as { name: string; shape: number[]; bytes: string }[];
    const params = tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
    await expect(page.getByTestId('model-params')).toHaveText(params.toLocaleString('en'));
    await expect(page.getByTestId('tensor-count')).toHaveText(`${tensors.length} of ${tensors.length} tensors`);
    const first = tensors[0];
    await page.getByRole('row').filter({ hasText: first.name }).first().click();
    const values = Array.from(f32(first.bytes));
    await expect(page.getByTestId('stat-min')).not.toHaveText('—');
    expect(Number(await page.getByTestId('stat-min').textContent())).toBeCloseTo(Math.min(...values), 5);
    expect(Number(await page.getByTestId('stat-max').textContent())).toBeCloseTo(Math.max(...values), 5);
    await expect(page.getByTestId('stat-nan')).toHaveText('0');
  });

  test('picks an ONNX file in the file browser and shows its graph', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await page.getByRole('button', { name: 'Open files…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Choose model files' });
    // the folders the app may use are in sight, not only in a menu
    await expect(dialog.getByTestId('allowed-roots')).toContainText(FIXTURES);
    await dialog.getByLabel('Folder roots').selectOption(FIXTURES);
    await dialog.getByRole('button', { name: /formats/ }).click();
    await dialog.getByLabel('tiny_cnn.onnx').check();
    await dialog.getByRole('button', { name: /Open 1 selected/ }).click();
    await expect(page.getByTestId('model-format')).toHaveText('onnx');
    await page.getByRole('tab', { name: 'Graph' }).click();
    await expect(page.getByTestId('graph-view').locator('.react-flow__node').first()).toBeVisible();
    expect(await page.getByTestId('graph-view').locator('.react-flow__node').count()).toBeGreaterThan(3);
  });

  test('shows tied weights as a group', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await page.getByLabel('Model file path').fill(path.join(FIXTURES, 'pytorch/tied.pt'));
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.getByTestId('tied-groups')).toContainText('=');
  });

  test('a malicious pickle is refused with a message that names the global, and the window stays usable', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await page.getByLabel('Model file path').fill(path.join(FIXTURES, 'pytorch/malicious/os_system.pt'));
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const alert = page.getByTestId('load-error');
    await expect(alert).toContainText('os_system.pt');
    await expect(alert).toContainText(/posix\.system|os\.system/);
    await page.getByLabel('Model file path').fill(path.join(FIXTURES, 'formats/tiny_cnn_b.safetensors'));
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.getByTestId('model-format')).toHaveText('safetensors');
  });

  test('a path outside the allowed folders is refused', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await page.getByLabel('Model file path').fill('/etc/passwd');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.getByTestId('load-error')).toContainText('outside the folders');
  });

  test('a table of 10,000 tensors stays virtualised and reaches its last row', async ({ page, appUrl }) => {
    const file = path.join(SCRATCH, 'many.safetensors');
    writeManyTensors(file, 10_000);
    await page.goto(appUrl);
    await page.getByLabel('Model file path').fill(file);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.getByTestId('tensor-count')).toHaveText('10,000 of 10,000 tensors');
    const rendered = await page.getByTestId('tensor-scroll').getByRole('row').count();
    expect(rendered).toBeLessThan(100);
    await page.getByTestId('tensor-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await expect(page.getByRole('row').filter({ hasText: 'layers.9999.weight' })).toBeVisible();
    await page.getByLabel('Filter tensors').fill('layers.123');
    await expect(page.getByTestId('tensor-count')).toHaveText(/^11 of 10,000/);
  });
});
