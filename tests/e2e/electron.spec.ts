// The same wizard checks through the real Electron window, where an Electron binary exists.
import { test, _electron as electron, type ElectronApplication, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { checkEveryStepHasAScreen, checkSelftestProgressAndCancel, checkWizardLoads } from './wizard-checks';

const ROOT = path.resolve(__dirname, '../..');

function electronBinary(): string | null {
  // Read the electron package's path.txt instead of require('electron'), which tries to download when missing.
  const dir = path.join(ROOT, 'node_modules', 'electron');
  const pathFile = path.join(dir, 'path.txt');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!fs.existsSync(pathFile)) return null;
  const exe = path.join(override ?? path.join(dir, 'dist'), fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(exe) ? exe : null;
}

const binary = electronBinary();
if (!binary) console.log('Electron e2e skipped: no Electron binary');

test.describe('Electron app', () => {
  test.skip(!binary, 'Electron e2e skipped: no Electron binary');
  let app: ElectronApplication;
  let page: Page;
  test.beforeAll(async () => {
    app = await electron.launch({ executablePath: binary!, args: [path.join(ROOT, 'out/main/index.js')], cwd: ROOT });
    page = await app.firstWindow();
  });
  test.afterAll(async () => { await app?.close(); });

  test('the wizard loads and shows onnxruntime\'s version', async () => { await checkWizardLoads(page); });
  test('every wizard step is a screen', async () => { await checkEveryStepHasAScreen(page); });
  test('selftest progress and Cancel', async () => { await checkSelftestProgressAndCancel(page); });
  test('preload exposes exactly window.studio with the API calls', async () => {
    const keys = await page.evaluate(() => Object.keys((window as unknown as { studio: object }).studio).sort());
    const { CALL_NAMES } = await import('../../main/engine/callNames');
    test.expect(keys).toEqual([...CALL_NAMES, 'onEvent'].sort());
    test.expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
  });
});
