import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { PickleFormatError, PickleRefusedError, unpickle } from '../../../main/engine/formats/pytorch/unpickle';
import { PyDict, PySet, PyTuple } from '../../../main/engine/formats/pytorch/python-values';

const noStorage = { persistentLoad: () => { throw new Error('no storages here'); } };
const load = (hex: string) => unpickle(Buffer.from(hex, 'hex'), 0, noStorage).value;

/** Pickle bytes made by the real Python pickler, when it is here; else the same bytes recorded from it. */
function pythonPickle(expr: string, recorded: string): string {
  const run = spawnSync('/usr/bin/python3', ['-c', `import pickle, collections; print(pickle.dumps(${expr}, protocol=2).hex())`], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : recorded;
}

describe('restricted unpickler', () => {
  it('reads the plain values a checkpoint holds: floats, big ints, tuples, OrderedDict, bytes, sets', () => {
    const hex = pythonPickle("{'a': 1.5, 'b': [1, 2**70, -3], 'c': (True, None), 'd': collections.OrderedDict(x=b'\\x00\\xff'), 's': {3}}",
      '80027d7100285801000000617101473ff800000000000058010000006271025d7103284b018a090000000000000000404afdffffff655801000000637104884e867105580100000064710663636f6c6c656374696f6e730a4f726465726564446963740a7107295271085801000000787109635f636f646563730a656e636f64650a710a580300000000c3bf710b58060000006c6174696e31710c86710d52710e73580100000073710f635f5f6275696c74696e5f5f0a7365740a71105d71114b0361857112527113752e');
    const v = load(hex) as PyDict;
    expect(v).toBeInstanceOf(PyDict);
    expect(v.get('a')).toBe(1.5);
    expect(v.get('b')).toEqual([1, 2n ** 70n, -3]);
    expect((v.get('c') as PyTuple).items).toEqual([true, null]);
    const d = v.get('d') as PyDict;
    expect(d.kind).toBe('OrderedDict');
    expect(Array.from(d.get('x') as Uint8Array)).toEqual([0, 255]);
    expect((v.get('s') as PySet).items).toEqual([3]);
  });

  it('refuses protocol-4 framing even for allowed globals (weights-only accepts protocol 2 opcodes)', () => {
    expect(() => load('80049529000000000000008c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c0178944b01732e'))
      .toThrow(PickleFormatError);
  });

  it('refuses a global in a plain pickle by its name', () => {
    expect(() => load(Buffer.from('\x80\x02cnt\nsystem\n.', 'latin1').toString('hex'))).toThrow(new PickleRefusedError('nt.system'));
    expect(() => load(Buffer.from('\x80\x02cshutil\nrmtree\n.', 'latin1').toString('hex'))).toThrow(/refused global shutil\.rmtree/);
  });

  it('rejects malformed streams with an error, not a crash', () => {
    expect(() => load('80026800' + '2e')).toThrow(/memo 0 read before/); // BINGET of nothing
    expect(() => load('80025d4b014b0273' + '2e')).toThrow(/can only set items of dicts/); // SETITEM on a list
    expect(() => load('8002' + '28'.repeat(5000) + '2e')).toThrow(/nests deeper/); // MARK bomb
    expect(() => load('8002' + '52' + '2e')).toThrow(/stack underflow/);
    expect(() => load('80025805000000ab')).toThrow(/ends early/); // string longer than the data
  });
});
