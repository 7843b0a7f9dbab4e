// The globals a pickle may name: exactly those torch.load(weights_only=True) allows by default
// (torch/_weights_only_unpickler.py, _get_allowed_globals). Each maps to a description of what it
// is; no entry is ever looked up in, or run from, anything but this table.
import type { DType } from '../../tensor/dtypes';
import type { GlobalKind } from './python-values';
import { IMPORT_MAPPING, NAME_MAPPING } from './python2-names';

/** Legacy storage classes (`torch.FloatStorage`, …) and the element type each holds. */
export const STORAGE_DTYPES: Record<string, DType | null> = {
  DoubleStorage: 'f64', FloatStorage: 'f32', HalfStorage: 'f16', BFloat16Storage: 'bf16',
  LongStorage: 'i64', IntStorage: 'i32', ShortStorage: 'i16', CharStorage: 'i8',
  ByteStorage: 'u8', BoolStorage: 'bool',
  // Loadable by torch, but no engine dtype: refused with a message when a tensor uses them.
  ComplexDoubleStorage: null, ComplexFloatStorage: null, QUInt8Storage: null, QInt8Storage: null,
  QInt32Storage: null, QUInt4x2Storage: null, QUInt2x4Storage: null,
};

/** torch dtype objects as pickled (`torch.float32`), and the engine dtype each maps to. */
const DTYPE_GLOBALS: Record<string, DType | null> = {
  float64: 'f64', float32: 'f32', float16: 'f16', bfloat16: 'bf16',
  int64: 'i64', int32: 'i32', int16: 'i16', int8: 'i8', uint8: 'u8', bool: 'bool',
  uint16: 'u16', uint32: 'u32', uint64: 'u64',
  float8_e4m3fn: 'f8_e4m3', float8_e5m2: 'f8_e5m2',
  float8_e4m3fnuz: null, float8_e5m2fnuz: null, complex32: null, complex64: null, complex128: null,
  qint8: null, quint8: null, qint32: null, quint4x2: null, quint2x4: null,
  uint1: null, uint2: null, uint3: null, uint4: null, uint5: null, uint6: null, uint7: null,
  int1: null, int2: null, int3: null, int4: null, int5: null, int6: null, int7: null,
};

const REBUILD_FUNCTIONS = [
  '_rebuild_parameter', '_rebuild_parameter_with_state', '_rebuild_qtensor', '_rebuild_tensor',
  '_rebuild_tensor_v2', '_rebuild_tensor_v3', '_rebuild_sparse_tensor', '_rebuild_meta_tensor_no_storage',
  '_rebuild_wrapper_subclass', '_rebuild_device_tensor_from_numpy', '_rebuild_device_tensor_from_cpu_tensor',
  // in torch 1.13's list, dropped later; harmless to describe
  '_rebuild_sparse_csr_tensor',
];

const TENSOR_CLASSES = [
  'FloatTensor', 'DoubleTensor', 'HalfTensor', 'BFloat16Tensor', 'ByteTensor', 'CharTensor', 'ShortTensor',
  'IntTensor', 'LongTensor', 'BoolTensor',
];

const QSCHEMES = ['per_tensor_affine', 'per_tensor_symmetric', 'per_channel_affine', 'per_channel_symmetric',
  'per_channel_affine_float_qparams'];

function buildTable(): Map<string, GlobalKind> {
  const t = new Map<string, GlobalKind>();
  t.set('collections.OrderedDict', { type: 'dict-class', dict: 'OrderedDict' });
  t.set('collections.Counter', { type: 'dict-class', dict: 'Counter' });
  t.set('torch.nn.parameter.Parameter', { type: 'parameter-class' });
  t.set('torch.serialization._get_layout', { type: 'layout' });
  t.set('torch.Size', { type: 'size' });
  t.set('torch.Tensor', { type: 'tensor-class' });
  t.set('torch.device', { type: 'device' });
  t.set('_codecs.encode', { type: 'codecs-encode' });
  t.set('builtins.bytearray', { type: 'bytearray' });
  t.set('builtins.set', { type: 'set' });
  t.set('builtins.complex', { type: 'complex' });
  for (const [name, dtype] of Object.entries(DTYPE_GLOBALS)) {
    t.set(`torch.${name}`, dtype ? { type: 'dtype', dtype } : { type: 'dtype', dtype: null, unsupported: `torch.${name}` });
  }
  for (const c of TENSOR_CLASSES) t.set(`torch.${c}`, { type: 'tensor-class' });
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) {
    t.set(`torch.${name}`, dtype ? { type: 'storage-class', dtype } : { type: 'storage-class', dtype: null, unsupported: `torch.${name}` });
  }
  t.set('torch.storage.TypedStorage', { type: 'storage-class', dtype: null });
  t.set('torch.storage.UntypedStorage', { type: 'storage-class', dtype: 'u8' });
  t.set('torch.UntypedStorage', { type: 'storage-class', dtype: 'u8' });
  for (const q of QSCHEMES) t.set(`torch.${q}`, { type: 'constant' });
  for (const f of REBUILD_FUNCTIONS) t.set(`torch._utils.${f}`, { type: 'rebuild', fn: f });
  t.set('torch._tensor._rebuild_from_type_v2', { type: 'rebuild', fn: '_rebuild_from_type_v2' });
  return t;
}

const TABLE = buildTable();

/** The Python 3 name of a global as pickle resolves it (`commands.Popen` is `subprocess.Popen`). */
export function resolveGlobalName(module: string, name: string): string {
  const renamed = NAME_MAPPING[`${module}.${name}`];
  if (renamed) return `${renamed[0]}.${renamed[1]}`;
  return `${IMPORT_MAPPING[module] ?? module}.${name}`;
}

/** The description of an allowed global (by its resolved full name), or null when not allowed. */
export function lookupAllowedGlobal(fullName: string): GlobalKind | null {
  return TABLE.get(fullName) ?? null;
}
