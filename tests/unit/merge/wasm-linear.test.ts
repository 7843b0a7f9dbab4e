// The SIMD kernel gives the very bytes of the JS loop (linear.ts) for 1–4 inputs and any length, through
// the worker pool on a merge's arena; what it cannot reach falls back to the JS loop, same bytes.
import { describe, expect, it } from 'vitest';
import { SharedArena } from '../../../main/engine/merge/kernels/arena';
import { linearCombination } from '../../../main/engine/merge/kernels/linear';
import { linearPool } from '../../../main/engine/merge/kernels/pool';
import { linearWasmModule } from '../../../main/engine/merge/kernels/wasm-linear';
import { values } from './model-files';

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** n floats in a fresh arena block, filled with `src`. */
function inArena(arena: SharedArena, src: Float32Array): Float32Array {
  const b = arena.take(src.length * 4);
  const f = new Float32Array(b.buffer, b.byteOffset, src.length);
  f.set(src);
  return f;
}

describe('the SIMD linear kernel', () => {
  it('is a valid module with combine1…combine4', () => {
    const mod = new WebAssembly.Module(linearWasmModule());
    expect(WebAssembly.Module.exports(mod).map((e) => e.name)).toEqual(['combine1', 'combine2', 'combine3', 'combine4']);
  });

  it('matches linearCombination bit for bit: 1–4 inputs, lengths not a multiple of 4, awkward values', async () => {
    const arena = new SharedArena(64 << 20, 0);
    for (const n of [1, 3, 4, 5, 1023, 70001]) {
      for (let k = 1; k <= 4; k++) {
        const xs = Array.from({ length: k }, (_, m) => values(n, 7 * n + m));
        // Values whose f64 sums round differently from f32 sums, subnormals, and signed zeros.
        xs[0][0] = 1e-40; if (n > 2) { xs[0][1] = -0; xs[0][2] = 3.4e38; }
        const coefs = Array.from({ length: k }, (_, m) => (m % 2 ? -0.3 : 1.7) / 3);
        const want = linearCombination(xs, coefs);
        const into = inArena(arena, new Float32Array(n));
        const ran = await linearPool().combineInArena(arena, xs.map((x) => inArena(arena, x)), coefs, into);
        expect(ran).toBe(true);
        expect(bytesOf(into).equals(bytesOf(want)), `${k} inputs, n=${n}`).toBe(true);
      }
    }
    // Once the run is over the workers let go of the arena; used again, it is sent to them again.
    linearPool().forget(arena);
    const x = values(999, 3);
    const into = inArena(arena, new Float32Array(999));
    expect(await linearPool().combineInArena(arena, [inArena(arena, x)], [0.5], into)).toBe(true);
    expect(bytesOf(into).equals(bytesOf(linearCombination([x], [0.5])))).toBe(true);
  });

  it('declines what it cannot reach — five inputs, arrays outside the arena, a view past a block start — and the fallback gives the same bytes', async () => {
    const arena = new SharedArena(64 << 20, 0);
    const n = 1000;
    const xs = Array.from({ length: 5 }, (_, m) => values(n, m + 1));
    const into = inArena(arena, new Float32Array(n));
    expect(await linearPool().combineInArena(arena, xs.slice(0, 5).map((x) => inArena(arena, x)), [1, 1, 1, 1, 1], into)).toBe(false);
    expect(await linearPool().combineInArena(arena, [xs[0]], [1], into)).toBe(false); // plain memory
    const block = inArena(arena, values(n + 4, 9));
    expect(await linearPool().combineInArena(arena, [block.subarray(4)], [1], into)).toBe(false); // not a block start
    const other = new SharedArena(64 << 20, 0); // another merge's arena
    expect(await linearPool().combineInArena(other, [inArena(arena, xs[0])], [1], inArena(other, new Float32Array(n)))).toBe(false);
    const want = linearCombination(xs, [1, 2, 3, 4, 5]); // before the pool takes (detaches) the inputs
    const { out } = await linearPool().combineLending(xs, [1, 2, 3, 4, 5], into);
    expect(bytesOf(into).equals(bytesOf(want))).toBe(true);
    expect(out.length).toBe(n);
  });
});

describe('SharedArena', () => {
  it('reuses a block given back, keeps blocks apart, and hands out plain buffers past its block limit', () => {
    const arena = new SharedArena(1 << 20, 4 << 20);
    const a = arena.take(1000);
    const b = arena.take(1000);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(b.byteOffset - a.byteOffset).toBeGreaterThanOrEqual(1000); // no overlap
    expect(a.byteOffset % 16).toBe(0);
    arena.give([a]);
    const c = arena.take(1000);
    expect(c.byteOffset).toBe(a.byteOffset);
    const big = arena.take(2 << 20); // past the block limit: a plain shared buffer, kept when given back
    expect(arena.blockOf(big)).toBeUndefined();
    arena.give([big]);
    expect(arena.take(2 << 20)).toBe(big);
    // Growing the memory keeps earlier blocks readable and recognised.
    a.fill(7);
    for (let i = 0; i < 40; i++) arena.take(512 << 10);
    expect(arena.blockOf(c)).toBe(1008);
    expect(c[999]).toBe(7);
  });
});
