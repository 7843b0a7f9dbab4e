// Builders for hostile torch.save files, made in the test that uses them (no big fixtures committed): a
// pickle through the writer's own PickleWriter, and a zip whose records may be deflated (ours writes
// only stored ones, as torch does; a re-packing tool deflates them).
import { crc32, deflateRawSync } from 'node:zlib';
import { PickleWriter } from '../../../main/engine/formats/pytorch/pickle-write';

export { PickleWriter };

export interface TensorRef {
  /** Storage key: the record archive/data/<key>. */
  key: string;
  /** Elements the storage declares. */
  numel: number;
  shape: number[];
  stride: number[];
  offset?: number;
  /** torch storage class; FloatStorage (f32) unless given. */
  storageClass?: string;
}

/** Pushes one tensor: _rebuild_tensor_v2(storage pid, offset, size, stride, False, OrderedDict()). */
export function pushTensor(w: PickleWriter, t: TensorRef): PickleWriter {
  w.global('torch._utils', '_rebuild_tensor_v2');
  w.op('(').op('(').str('storage').global('torch', t.storageClass ?? 'FloatStorage').str(t.key).str('cpu').int(t.numel).op('t').op('Q');
  w.int(t.offset ?? 0).tuple(t.shape).tuple(t.stride).bool(false);
  w.global('collections', 'OrderedDict').op(')').op('R');
  return w.op('t').op('R');
}

/** Starts a pickle whose top object is an empty OrderedDict (memo 0), ready for SETITEMs. */
export function orderedDictPickle(): PickleWriter {
  const w = new PickleWriter();
  w.global('collections', 'OrderedDict').op(')').op('R');
  w.put();
  return w;
}

export interface ZipRecord {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
}

/** A plain zip of the records (no alignment, no zip64): enough for what ZipArchive reads. */
export function zipOf(records: ZipRecord[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const r of records) {
    const name = Buffer.from(r.name, 'utf8');
    const body = r.deflate ? deflateRawSync(r.data, { level: 9 }) : Buffer.from(r.data);
    const crc = crc32(r.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(r.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(r.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x800, 8);
    cd.writeUInt16LE(r.deflate ? 8 : 0, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(r.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    parts.push(local, name, body);
    central.push(cd, name);
    offset += 30 + name.length + body.length;
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBytes, end]);
}

/** A torch.save-style zip: archive/data.pkl first, then each storage record, then archive/version. */
export function ptFile(pickle: Uint8Array, storages: { key: string; data: Uint8Array; deflate?: boolean }[] = []): Buffer {
  return zipOf([
    { name: 'archive/data.pkl', data: pickle },
    ...storages.map((s) => ({ name: `archive/data/${s.key}`, data: s.data, deflate: s.deflate })),
    { name: 'archive/version', data: Buffer.from('3\n') },
  ]);
}

/** f32 values as little-endian bytes. */
export function f32Bytes(values: ArrayLike<number>): Buffer {
  return Buffer.from(new Float32Array(values).buffer);
}
