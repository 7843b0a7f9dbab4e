// Shared by the PyTorch format tests: fixture paths and the bytes PyTorch itself holds for each tensor.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'pytorch');

export interface ExpectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** base64 of the contiguous little-endian bytes torch had for the tensor */
  bytes: string;
}
export interface ExpectedFile {
  tensors: ExpectedTensor[];
  tied?: string[][];
  unwrapped?: string;
  stripped?: boolean;
  epoch?: number;
}

export const EXPECTED = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, ExpectedFile> & {
  __malicious__: { files: Record<string, string>; canaries: string[] };
};

export function fixture(name: string): string {
  return join(FIXTURES, name);
}
