// Advice about bare weights speaks the app's words in the engine (the Align, Scheme and Compare screens show engine
// messages as they are) and the command line's words in the CLI, which maps them (main/cli/flag-words.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inFlagWords } from '../../main/cli/flag-words';
import { loadNet } from '../../main/engine/models/load-net';
import { ARCH_OR_GRAPH_HINT, MORE_EXAMPLES_HINT, sizeHint } from '../../main/engine/models/hints';

const ROOT = path.resolve(__dirname, '../..');
const BARE = [path.join(ROOT, 'tests/fixtures/merge/cnn_0.pt'), path.join(ROOT, 'tests/fixtures/merge/cnn_1.pt')];

describe('advice about bare weights', () => {
  it('names the Architecture field in the engine, and no flag', async () => {
    const e = await loadNet(BARE[0]).then(() => null, (x: Error) => x);
    expect(e?.message).toContain(`does not say which architecture they belong to — ${ARCH_OR_GRAPH_HINT}`);
    expect(e?.message).toContain('Architecture field');
    expect(e?.message).not.toMatch(/--\w/);
  });

  it('names the flags on the command line', () => {
    expect(inFlagWords(`x.pt: holds weights only — ${ARCH_OR_GRAPH_HINT}`)).toBe('x.pt: holds weights only — give the architecture (--arch) or a graph (--graph G.onnx)');
    expect(inFlagWords(`use at least 12 examples (${MORE_EXAMPLES_HINT})`)).toBe('use at least 12 examples (--samples)');
    expect(inFlagWords(sizeHint('mlp'))).toContain('--hidden');
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli.ts'), 'align', ...BARE, '--method', 'weight', '--out', mkdtempSync(path.join(tmpdir(), 'ms-arch-hints-'))],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/merge-studio align: .*cnn_0\.pt: holds weights only .* give the architecture \(--arch\) or a graph \(--graph G\.onnx\)/);
    expect(r.stderr).not.toContain('Architecture field');
  }, 120_000);
});
