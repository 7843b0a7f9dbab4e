import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pytorchReader } from '../../../main/engine/formats/pytorch';
import { pickReader } from '../../../main/engine/formats/registry';
import { ModelFileError } from '../../../main/engine/formats/types';
import { EXPECTED, fixture } from './pytorch-helpers';

const { files, canaries } = EXPECTED.__malicious__;

async function refusal(path: string): Promise<ModelFileError> {
  const err = await pytorchReader.open(path).then(
    async (src) => { await src.close(); return null; },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelFileError);
  return err as ModelFileError;
}

describe('pytorch reader: malicious pickles built with Debian PyTorch', () => {
  beforeAll(() => {
    for (const c of canaries) rmSync(c, { force: true });
  });
  afterAll(() => {
    // Nothing the payloads would have run ever ran: no canary file exists.
    for (const c of canaries) expect(existsSync(c), c).toBe(false);
  });

  it.each(Object.entries(files))('%s is refused naming %s', async (name, global) => {
    // claimed by content, so the registry routes it here and the user sees the refusal, not "unknown format"
    const head = readFileSync(fixture(`malicious/${name}`)).subarray(0, 4096);
    expect(pytorchReader.sniff(head, `upload-${name}`)).toBe(true);
    expect(pickReader(head, fixture(`malicious/${name}`))?.id).toBe('pytorch');
    const err = await refusal(fixture(`malicious/${name}`));
    expect(err.message).toContain(`refused global ${global}`);
    expect(err.message).toContain(fixture(`malicious/${name}`));
    expect(err.hint).not.toBe('');
    for (const c of canaries) expect(existsSync(c)).toBe(false);
  });
});

describe('pytorch reader: broken files', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'ms-pt-bad-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses zip entries named with ..', async () => {
    expect((await refusal(fixture('bad/dotdot.pt'))).message).toMatch(/contains "\.\."/);
  });

  it('refuses a zip bomb by ratio and one by declared size', async () => {
    expect((await refusal(fixture('bad/bomb_ratio.pt'))).message).toMatch(/zip bomb/);
    expect((await refusal(fixture('bad/bomb_declared.pt'))).message).toMatch(/zip bomb|limit/);
  });

  it('says a zip without data.pkl is not a torch.save file', async () => {
    expect((await refusal(fixture('bad/no_datapkl.pt'))).message).toMatch(/without a data\.pkl/);
  });

  it('notices a tensor record shorter than its storage', async () => {
    expect((await refusal(fixture('bad/short_storage.pt'))).message).toMatch(/holds \d+ bytes but its storage needs/);
  });

  it('refuses wrong magic and empty files with a message about the file', async () => {
    const json = join(dir, 'not-a-model.pt');
    writeFileSync(json, '{"weights": [1, 2, 3]}');
    const e1 = await refusal(json);
    expect(e1.file).toBe(json);
    const empty = join(dir, 'empty.pt');
    writeFileSync(empty, '');
    expect((await refusal(empty)).message).toMatch(/is empty/);
    const rawPickle = join(dir, 'plain-pickle.pt');
    writeFileSync(rawPickle, Buffer.from([0x80, 0x02, 0x4b, 0x07, 0x2e])); // pickle of the int 7
    expect((await refusal(rawPickle)).message).toMatch(/no PyTorch magic number/);
  });

  it.each(['smallcnn.pt', 'smallcnn_legacy.pt', 'deflated.pt'])('%s truncated anywhere is refused, never half-loaded', async (name) => {
    const whole = readFileSync(fixture(name));
    const cuts = [1, 10, 100, 1000, whole.length >> 1, whole.length - 200, whole.length - 22, whole.length - 1];
    for (const cut of cuts) {
      const p = join(dir, `cut-${cut}-${name}`);
      writeFileSync(p, whole.subarray(0, cut));
      const err = await refusal(p);
      expect(err.message).toMatch(/truncated|ends early|end-of-central-directory|past the end|magic|damaged/);
    }
  });
});
