// The desktop app's file:// and app:// surface (issue 21, item 13), asserted from the sources since no Electron
// binary runs here: the fuse that gives file:// pages extra privileges is off, and the app:// handler's URL
// decision (app-url.ts) answers malformed, NUL-holding and escaping URLs with a status instead of a throw or a file.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { appUrlToFile } from '../../../main/desktop/app-url';

const ROOT = path.resolve(__dirname, '../../..');

describe('Electron fuses', () => {
  it('turns grantFileProtocolExtraPrivileges off (our pages come from app://, never file://)', () => {
    const config = YAML.parse(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8'));
    expect(config.electronFuses.grantFileProtocolExtraPrivileges).toBe(false);
  });
});

describe('app:// URL to a file of the renderer build', () => {
  const dir = path.resolve('/opt/merge-studio/renderer');

  it('maps pages and assets inside the build', () => {
    expect(appUrlToFile('app://renderer/', dir)).toEqual({ file: path.join(dir, 'index.html') });
    expect(appUrlToFile('app://renderer/assets/index-abc.js', dir)).toEqual({ file: path.join(dir, 'assets', 'index-abc.js') });
    expect(appUrlToFile('app://renderer/assets/a%20b.css', dir)).toEqual({ file: path.join(dir, 'assets', 'a b.css') });
  });

  it('answers a malformed escape with 400 instead of throwing (decodeURIComponent would)', () => {
    expect(() => decodeURIComponent('/%E0%A4%A')).toThrow(URIError);
    expect(appUrlToFile('app://renderer/%E0%A4%A', dir)).toEqual({ status: 400 });
    expect(appUrlToFile('app://renderer/%', dir)).toEqual({ status: 400 });
    expect(appUrlToFile('app://renderer/index.html%00.js', dir)).toEqual({ status: 400 });
    expect(appUrlToFile('not a url', dir)).toEqual({ status: 400 });
  });

  it('refuses what resolves outside the build (encoded dots and slashes, Windows backslashes) and other hosts', () => {
    // the URL parser drops encoded dot segments at the root: the request stays inside the build
    expect(appUrlToFile('app://renderer/%2e%2e/%2e%2e/etc/passwd', dir)).toEqual({ file: path.join(dir, 'etc', 'passwd') });
    expect(appUrlToFile('app://renderer/..%2f..%2fsecret', dir)).toEqual({ status: 403 });
    expect(appUrlToFile('app://renderer/%2e%2e', dir)).toEqual({ status: 403 });
    const win = 'C:\\Program Files\\Merge Studio\\resources\\renderer';
    expect(appUrlToFile('app://renderer/..%5c..%5csecret.txt', win, path.win32)).toEqual({ status: 403 });
    expect(appUrlToFile('app://renderer/assets/x.js', win, path.win32)).toEqual({ file: `${win}\\assets\\x.js` });
    expect(appUrlToFile('app://other/index.html', dir)).toEqual({ status: 404 });
  });

  it('is what the desktop handler uses: it decodes no URL itself', () => {
    const source = fs.readFileSync(path.join(ROOT, 'main/desktop/index.ts'), 'utf8');
    expect(source).toMatch(/appUrlToFile\(request\.url, RENDERER_DIR\)/);
    expect(source).not.toMatch(/decodeURIComponent/);
  });
});
