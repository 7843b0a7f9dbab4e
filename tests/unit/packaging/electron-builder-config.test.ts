import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const ROOT = path.resolve(__dirname, '../../..');
const config = YAML.parse(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8'));

describe('electron-builder.yml', () => {
  it('passes electron-builder\'s own configuration validation', async () => {
    // Packaging needs an Electron download, so we validate the config with the packager's own validator instead.
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config');
    const { DebugLogger } = require('builder-util/out/DebugLogger');
    await expect(validateConfiguration(structuredClone(config), new DebugLogger(false))).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...structuredClone(config), notAnOption: true }, new DebugLogger(false))).rejects.toThrow();
  });

  it('targets AppImage + deb, NSIS, and an arm64-only dmg', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target[0].target).toBe('nsis');
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['arm64'] }]);
  });

  it('unpacks onnxruntime binaries from the asar and keeps only the target platform\'s', () => {
    expect(config.asarUnpack).toContain('node_modules/onnxruntime-node/bin/**');
    expect(config.files).toContain('!node_modules/onnxruntime-node/bin/napi-v6/**');
    for (const [os, dir] of [['linux', 'linux'], ['win', 'win32'], ['mac', 'darwin']] as const) {
      expect(config[os].files).toEqual([`node_modules/onnxruntime-node/bin/napi-v6/${dir}/\${arch}/**`]);
      expect(fs.existsSync(path.join(ROOT, 'node_modules/onnxruntime-node/bin/napi-v6', dir))).toBe(true);
    }
  });

  it('ships bundled data through extraResources from a folder that exists', () => {
    const from = config.extraResources[0].from;
    expect(fs.existsSync(path.join(ROOT, from))).toBe(true);
  });
});
