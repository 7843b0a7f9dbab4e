// What this machine offers: versions, execution providers, threads.
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import pkg from '../../package.json';
import type { Environment } from './environment-schema';

const requireHere = createRequire(__filename);

/** Execution providers this machine can use: cpu always; cuda/dml only where their libraries ship. */
export function usableProviders(): string[] {
  const out = ['cpu'];
  let binDir = '';
  try {
    binDir = path.join(path.dirname(requireHere.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return out;
  }
  const has = (f: string) => fs.existsSync(path.join(binDir, f));
  if (process.platform === 'linux' && has('libonnxruntime_providers_cuda.so')) out.push('cuda');
  if (process.platform === 'win32' && has('DirectML.dll')) out.push('dml');
  return out;
}

/** Where runs go unless the user picks another folder: MERGE_STUDIO_WORKSPACE, else ~/MergeStudio. */
export function defaultWorkspace(): string {
  return process.env.MERGE_STUDIO_WORKSPACE ? path.resolve(process.env.MERGE_STUDIO_WORKSPACE) : path.join(os.homedir(), 'MergeStudio');
}

export function describeEnvironment(mode: Environment['mode']): Environment {
  return {
    appVersion: pkg.version,
    onnxruntimeVersion: ort.env.versions.node ?? ort.env.versions.common,
    providers: usableProviders(),
    threads: os.availableParallelism(),
    platform: process.platform,
    arch: process.arch,
    nodeVersion: process.versions.node,
    mode,
    workspace: defaultWorkspace(),
  };
}
