import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZipArchive } from '../../../main/engine/formats/pytorch/zip';
import { ZipStreamWriter, type ByteSink } from '../../../main/engine/formats/pytorch/zip-write';

// Offsets past 4 GiB need zip64 records. A sparse file (a 4.5 GiB hole, then the entries) exercises
// them without writing gigabytes: the hole costs no disk and no time.
const HOLE = 4.5 * 2 ** 30;

describe('zip64 records past 4 GiB', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'ms-zip64-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // NTFS does not make files sparse by default: there the hole would be 4.5 GiB of real zeros.
  it.skipIf(process.platform === 'win32')('our writer and reader agree, and Python\'s zipfile reads the same entries', async () => {
    const path = join(dir, 'sparse.zip');
    const fh = await open(path, 'w');
    const sink: ByteSink & { position: number } = {
      position: HOLE,
      async write(bytes) {
        await fh.write(bytes, 0, bytes.length, this.position);
        this.position += bytes.length;
      },
    };
    const zip = new ZipStreamWriter(sink);
    const a = Buffer.from('first entry, past 4 GiB');
    const b = Buffer.alloc(1000, 7);
    await zip.addEntry('archive/a', a);
    await zip.addEntry('archive/data/0', b);
    await zip.finish();
    await fh.close();

    const rfh = await open(path, 'r');
    const archive = await ZipArchive.open(rfh, (await stat(path)).size, { maxInflateBytes: 1 << 20, maxRatio: 200 });
    expect(archive.entries.map((e) => [e.name, e.size])).toEqual([['archive/a', a.length], ['archive/data/0', 1000]]);
    expect(archive.entries[0].localHeaderOffset).toBe(HOLE);
    expect(Buffer.from(await archive.read(archive.entries[0])).equals(a)).toBe(true);
    expect(Buffer.from(await archive.readRange(archive.entries[1], 10, 5))).toEqual(Buffer.alloc(5, 7));
    expect((await archive.dataOffset(archive.entries[1])) % 64).toBe(0); // torch-style alignment
    await rfh.close();

    const py = spawnSync('/usr/bin/python3', ['-c',
      'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print([(i.filename, i.header_offset, len(z.read(i))) for i in z.infolist()])', path],
      { encoding: 'utf8' });
    if (py.error) {
      console.warn('SKIPPED: /usr/bin/python3 not available for the zipfile cross-check');
      return;
    }
    expect(py.status, py.stderr).toBe(0);
    const [offA, offB] = archive.entries.map((e) => e.localHeaderOffset);
    expect(py.stdout.trim()).toBe(`[('archive/a', ${offA}, ${a.length}), ('archive/data/0', ${offB}, 1000)]`);
  });
});
