// Writes a state dict as a torch.save zip that torch.load(weights_only=True) reads back bit-exactly.
// Tensors stream in one at a time to a temp file beside the target, renamed on finish().
import { AtomicFile } from '../atomic-file';
import { DTYPE_SIZE, numElements, type DType } from '../../tensor/dtypes';
import { ModelFileError, type FormatWriter, type TensorSpec, type TensorWriteSession, type WriteOptions } from '../types';
import { METADATA_RECORD } from './layout';
import { PickleWriter } from './pickle-write';
import { ZipStreamWriter } from './zip-write';
import { checkTiedGroups } from '../tied-groups';

/** The legacy storage class torch pickles for each dtype it can save. */
const STORAGE_CLASS: Partial<Record<DType, string>> = {
  f64: 'DoubleStorage', f32: 'FloatStorage', f16: 'HalfStorage', bf16: 'BFloat16Storage',
  i64: 'LongStorage', i32: 'IntStorage', i16: 'ShortStorage', i8: 'CharStorage', u8: 'ByteStorage', bool: 'BoolStorage',
};
const PREFIX = 'archive/';

export const pytorchWriter: FormatWriter = {
  id: 'pytorch',
  extensions: ['.pt', '.pth', '.bin', '.ckpt'],
  lateMetadata: true, // the metadata record is written last
  begin: beginPytorchWrite,
};

interface Plan {
  /** Non-alias tensors in spec order, each with its storage key. */
  stored: { spec: TensorSpec; key: string }[];
  /** alias name -> the name it is tied to. */
  aliasOf: Map<string, string>;
}

/** A plan error, with the hint that fits it (a dtype hint under a tie error would send the user astray). */
class PlanError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}
const DTYPE_HINT = 'PyTorch stores f64, f32, f16, bf16, i64, i32, i16, i8, u8 and bool; convert the others, or write .safetensors';
const TIE_HINT = 'each tied name must be a tensor being written, in one group only';

function plan(specs: TensorSpec[], tied: string[][] = []): Plan {
  const byName = new Map<string, TensorSpec>();
  for (const s of specs) {
    if (byName.has(s.name)) throw new PlanError(`two tensors are named ${s.name}`, 'give every tensor a unique name');
    if (!STORAGE_CLASS[s.dtype]) throw new PlanError(`${s.name}: PyTorch files cannot hold ${s.dtype}; convert to f32, f16 or bf16`, DTYPE_HINT);
    if (!s.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new PlanError(`${s.name}: invalid shape [${s.shape}]`, 'shapes are lists of non-negative integers');
    byName.set(s.name, s);
  }
  // Checked groups name each tensor once in all: every alias points straight at its group's first name.
  const { problems } = checkTiedGroups(tied, (n) => byName.get(n));
  if (problems.length) throw new PlanError(problems[0], TIE_HINT);
  const aliasOf = new Map<string, string>();
  for (const [root, ...rest] of tied) for (const name of rest) aliasOf.set(name, root);
  const stored = specs.filter((s) => !aliasOf.has(s.name)).map((spec, i) => ({ spec, key: String(i) }));
  return { stored, aliasOf };
}

function contiguousStride(shape: number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = s;
    s *= shape[i];
  }
  return stride;
}

/** data.pkl: OrderedDict(name -> _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())). */
function statePickle(specs: TensorSpec[], p: Plan): Buffer {
  const w = new PickleWriter();
  w.global('collections', 'OrderedDict').op(')').op('R');
  w.put();
  const stored = new Map(p.stored.map((s) => [s.spec.name, s]));
  const memoOf = new Map<string, number>();
  for (const spec of specs) {
    w.str(spec.name);
    const root = p.aliasOf.get(spec.name) ?? spec.name;
    const memo = memoOf.get(root);
    if (memo !== undefined) {
      w.get(memo); // the same tensor object: torch sees one parameter under several names
    } else {
      const { spec: rootSpec, key } = stored.get(root) as { spec: TensorSpec; key: string };
      w.global('torch._utils', '_rebuild_tensor_v2');
      w.op('(').op('(').str('storage').global('torch', STORAGE_CLASS[rootSpec.dtype] as string)
        .str(key).str('cpu').int(numElements(rootSpec.shape)).op('t').op('Q');
      w.int(0).tuple(rootSpec.shape).tuple(contiguousStride(rootSpec.shape)).bool(false);
      w.global('collections', 'OrderedDict').op(')').op('R');
      w.op('t').op('R');
      memoOf.set(root, w.put());
    }
    w.op('s');
  }
  return w.finish();
}

export async function beginPytorchWrite(path: string, specs: TensorSpec[], options: WriteOptions = {}): Promise<TensorWriteSession> {
  let p: Plan;
  try {
    p = plan(specs, options.tied);
  } catch (err) {
    throw new ModelFileError(path, `cannot be written as a PyTorch file: ${(err as Error).message}`, err instanceof PlanError ? err.hint : DTYPE_HINT);
  }
  const file = await AtomicFile.create(path, { hash: true });
  const zip = new ZipStreamWriter(file);
  let next = 0;
  let state: 'open' | 'done' | 'aborted' = 'open';
  const fail = async (err: unknown): Promise<never> => {
    await session.abort();
    throw err;
  };
  const session: TensorWriteSession = {
    async writeTensor(name, data) {
      if (state !== 'open') throw new Error(`write session for ${path} is already ${state}`);
      const expected = p.stored[next];
      if (!expected) return fail(new Error(`${name}: every tensor has already been written`));
      if (expected.spec.name !== name) return fail(new Error(`expected tensor ${expected.spec.name} next, got ${name}`));
      const bytes = numElements(expected.spec.shape) * DTYPE_SIZE[expected.spec.dtype];
      if (data.byteLength !== bytes) return fail(new Error(`${name}: got ${data.byteLength} bytes, expected ${bytes}`));
      try {
        await zip.addEntry(`${PREFIX}data/${expected.key}`, data);
      } catch (err) {
        return fail(err);
      }
      next++;
    },
    async finish(final) {
      if (state !== 'open') throw new Error(`write session for ${path} is already ${state}`);
      const metadata = final?.metadata ?? options.metadata;
      if (next < p.stored.length) return fail(new Error(`finish() before tensor ${p.stored[next].spec.name} was written`));
      try {
        await zip.addEntry(`${PREFIX}version`, Buffer.from('3\n'));
        await zip.addEntry(`${PREFIX}byteorder`, Buffer.from('little'));
        if (metadata && Object.keys(metadata).length) {
          await zip.addEntry(`${PREFIX}${METADATA_RECORD}`, Buffer.from(JSON.stringify(metadata)));
        }
        await zip.finish();
        const written = await file.commit();
        state = 'done';
        return written;
      } catch (err) {
        return fail(err);
      }
    },
    async abort() {
      if (state !== 'open') return;
      state = 'aborted';
      await file.discard();
    },
  };
  try {
    await zip.addEntry(`${PREFIX}data.pkl`, statePickle(specs, p)); // first, as torch does (sniffing relies on it)
  } catch (err) {
    return fail(err);
  }
  return session;
}
