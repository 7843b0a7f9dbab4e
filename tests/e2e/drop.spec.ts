// Dropping files on the Load screen of the served UI: the browser sends each file, the server keeps a copy in
// the workspace's imports folder, and the page opens that copy as it would a picked file.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, FIXTURES, SCRATCH } from './serve-fixture';

/** Drops files (name → bytes) on the drop zone as a user's drag would: a drop event carrying a DataTransfer. */
async function drop(page: import('@playwright/test').Page, files: { name: string; bytes: Buffer }[]): Promise<void> {
  const data = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bin = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bin], f.name));
    }
    return dt;
  }, files.map((f) => ({ name: f.name, b64: f.bytes.toString('base64') })));
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: data });
}

const imports = path.join(SCRATCH, 'workspace', 'imports');

test.describe('Dropping files in the browser', () => {
  test('a dropped model is copied into the workspace and opened', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await expect(page.getByTestId('drop-zone')).toContainText("copied into the workspace's imports folder");
    const bytes = fs.readFileSync(path.join(FIXTURES, 'merge/cnn_0.pt'));
    await drop(page, [{ name: 'cnn_0.pt', bytes }]);
    await expect(page.getByTestId('model-format')).toHaveText('pytorch');
    await expect(page.getByTestId('dropped-copies')).toContainText("cnn_0.pt: copied into the workspace's imports folder");
    const kept = fs.readdirSync(imports).filter((n) => n.endsWith('-cnn_0.pt'));
    expect(kept).toHaveLength(1);
    expect(fs.readFileSync(path.join(imports, kept[0])).equals(bytes)).toBe(true);
    await expect(page.getByRole('list', { name: 'Open models' })).toContainText(kept[0]);
  });

  test('a dropped recipe is copied and handed to the Scheme step', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    await drop(page, [{ name: 'mean-of-three.yaml', bytes: fs.readFileSync(path.join(FIXTURES, '../../docs/examples/mean-of-three.yaml')) }]);
    await expect(page.getByTestId('dropped-recipe')).toContainText('mean-of-three.yaml is ready on the Scheme step');
    await page.getByRole('button', { name: 'Open the Scheme step' }).click();
    await expect(page.getByRole('radio', { name: 'Mean', exact: true })).toBeChecked();
    await expect(page.getByRole('region', { name: 'Models to merge' })).toContainText('cnn_2.pt');
  });

  test('a file of another kind is refused with a reason, and nothing is copied', async ({ page, appUrl }) => {
    await page.goto(appUrl);
    const before = fs.existsSync(imports) ? fs.readdirSync(imports).length : 0;
    await drop(page, [{ name: 'notes.txt', bytes: Buffer.from('hello') }]);
    await expect(page.getByTestId('load-error')).toContainText('only model files');
    expect(fs.existsSync(imports) ? fs.readdirSync(imports).length : 0).toBe(before);
  });
});
