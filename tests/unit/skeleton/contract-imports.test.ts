// The API contract (main/engine/api.ts) is bundled into the renderer, so what it imports at run time must be
// free of the engine's native side: no file it reaches (type-only imports aside) may import onnxruntime-node.
// (A request schema placed beside the engine code that serves it once left the served app's page blank.)
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../../..');

function resolve(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  return null;
}

/** Files reached from `entry` through value imports and re-exports (not `import type` / `export type`). */
function reached(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const packages: string[] = [];
    seen.set(file, packages);
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
      if (m[2]) continue;
      const spec = m[3];
      if (spec.startsWith('.')) { const r = resolve(file, spec); if (r) todo.push(r); } else packages.push(spec);
    }
  }
  return seen;
}

describe('the API contract', () => {
  it('reaches no module that loads onnxruntime', () => {
    const files = reached(path.join(ROOT, 'main/engine/api.ts'));
    const native = [...files].filter(([, pkgs]) => pkgs.includes('onnxruntime-node')).map(([f]) => path.relative(ROOT, f));
    expect(native).toEqual([]);
    expect(files.size).toBeGreaterThan(5);
  });
});
