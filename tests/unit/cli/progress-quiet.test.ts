// `--quiet` on the terminal: the job's progress and how-it-goes lines are dropped, its problems are not.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { terminalJob } from '../../../main/cli/progress';

function stderrOf(quiet: boolean, lines: string[]): string {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { written.push(String(chunk)); return true; });
  const job = terminalJob('training', quiet);
  job.ctx.progress({ done: 5, total: 5, message: 'epoch 1/1' });
  for (const l of lines) job.ctx.log(l);
  job.done();
  spy.mockRestore();
  return written.join('');
}

afterEach(() => { vi.restoreAllMocks(); });

describe('terminalJob', () => {
  const lines = [
    'epoch 1/1: loss 0.5123, accuracy 0.8700 (2.1 s)',
    'warning: 3 tensors were kept from the base',
    'execution provider "cuda" is not available in this onnxruntime build; running on cpu',
    'could not finish /tmp/x: disk full',
  ];

  it('prints progress and every log line when not quiet', () => {
    const err = stderrOf(false, lines);
    expect(err).toContain('training');
    for (const l of lines) expect(err).toContain(l);
  });

  it('drops progress and plain log lines when quiet, keeping warnings and failures', () => {
    const err = stderrOf(true, lines);
    expect(err).not.toContain('training');
    expect(err).not.toContain('epoch 1/1');
    for (const l of lines.slice(1)) expect(err).toContain(l);
  });
});
