// Σ cᵢ·xᵢ for 1–4 f32 inputs as a WebAssembly SIMD module, assembled here (a few dozen bytes of code,
// no toolchain). Why: V8's loop in linear.ts costs ~3.6 ns per element whatever the cache (it converts
// every load to f64 one at a time); this one does four elements per step. It computes in f64 in the very
// order of linear.ts — c₀x₀ + c₁x₁ + c₂x₂ + c₃x₃, left to right, one rounding to f32 at the end — so a
// tensor gets the same bytes from either (tests/unit/merge/wasm-linear.test.ts checks bit for bit).
//
// The module imports a shared memory: the tensors must lie in it (see kernels/arena.ts), as WebAssembly
// reads only its own memory. Exports combine1…combine4(p₀…pₖ₋₁, out, bytes, c₀…cₖ₋₁): pointers are
// byte offsets, `bytes` a multiple of 16; the caller does the last n mod 4 elements.

/** Largest input count with its own unrolled function. */
export const WASM_MAX_INPUTS = 4;

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'utf8')];

// Opcodes (WebAssembly core 2.0: instructions and the fixed-width SIMD proposal).
const op = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Const: 0x41, i32GeU: 0x4f, i32Add: 0x6a,
};
const simd = (code: number, ...imm: number[]) => [0xfd, ...uleb(code), ...imm];
const memarg = [0x00, 0x00]; // align hint 2⁰ (tensors are only 4-byte aligned), offset 0
const v128Load = simd(0x00, ...memarg);
const v128Store = simd(0x0b, ...memarg);
const shuffle = (lanes: number[]) => simd(0x0d, ...lanes);
const f64x2Splat = simd(0x14);
const demoteZero = simd(0x5e); // f32x4.demote_f64x2_zero
const promoteLow = simd(0x5f); // f64x2.promote_low_f32x4
const f64x2Add = simd(0xf0);
const f64x2Mul = simd(0xf2);
const HIGH_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
const JOIN_LOWS = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** The body of combine_k: params p₀…pₖ₋₁ (0…k−1), out (k), bytes (k+1), c₀…cₖ₋₁ (k+2…2k+1). */
function combineBody(k: number): number[] {
  const out = k;
  const bytes = k + 1;
  const coef = (j: number) => k + 2 + j;
  // Locals after the params: i, v, lo, hi, then one splatted coefficient per input.
  const i = 2 * k + 2;
  const v = i + 1;
  const lo = i + 2;
  const hi = i + 3;
  const splat = (j: number) => i + 4 + j;
  const get = (x: number) => [op.localGet, ...uleb(x)];
  const set = (x: number) => [op.localSet, ...uleb(x)];
  const code: number[] = [];
  for (let j = 0; j < k; j++) code.push(...get(coef(j)), ...f64x2Splat, ...set(splat(j)));
  code.push(op.block, 0x40, op.loop, 0x40);
  code.push(...get(i), ...get(bytes), op.i32GeU, op.brIf, 1);
  for (let j = 0; j < k; j++) {
    code.push(...get(j), ...get(i), op.i32Add, ...v128Load, op.localTee, ...uleb(v));
    // Low two lanes: acc_lo (+)= c·x; then the high two, moved down first.
    code.push(...promoteLow, ...get(splat(j)), ...f64x2Mul);
    if (j > 0) code.push(...get(lo), ...f64x2Add);
    code.push(...set(lo));
    code.push(...get(v), ...get(v), ...shuffle(HIGH_TO_LOW), ...promoteLow, ...get(splat(j)), ...f64x2Mul);
    if (j > 0) code.push(...get(hi), ...f64x2Add);
    code.push(...set(hi));
  }
  code.push(...get(out), ...get(i), op.i32Add);
  code.push(...get(lo), ...demoteZero, ...get(hi), ...demoteZero, ...shuffle(JOIN_LOWS), ...v128Store);
  code.push(...get(i), op.i32Const, 16, op.i32Add, ...set(i));
  code.push(op.br, 0, op.end, op.end, op.end);
  const locals = vec([[...uleb(1), I32], [...uleb(3 + k), V128]]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

let cached: Uint8Array<ArrayBuffer> | undefined;

/** The module's bytes (imports env.memory: shared, up to `maxPages` of 64 KiB). */
export function linearWasmModule(maxPages = 65536): Uint8Array<ArrayBuffer> {
  if (cached && maxPages === 65536) return cached;
  const ks = Array.from({ length: WASM_MAX_INPUTS }, (_, j) => j + 1);
  const types = ks.map((k) => [0x60, ...vec([...Array.from({ length: k + 2 }, () => [I32]), ...Array.from({ length: k }, () => [F64])]), 0x00]);
  const imports = vec([[...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(1), ...uleb(maxPages)]]);
  const funcs = vec(ks.map((_, j) => uleb(j)));
  const exports = vec(ks.map((k, j) => [...name(`combine${k}`), 0x00, ...uleb(j)]));
  const codes = vec(ks.map((k) => combineBody(k)));
  const bytes = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, codes),
  ]);
  if (maxPages === 65536) cached = bytes;
  return bytes;
}
