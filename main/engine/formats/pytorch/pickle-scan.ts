// A disassembler that lists the globals a pickle names, without building or running anything.
// Used to name the culprit when the restricted unpickler stops on an opcode it does not accept
// (protocol-0 INST, protocol-4 STACK_GLOBAL, …), so the refusal reads "refused global posix.system".
import { OPCODES } from './pickle-opcodes';
import { resolveGlobalName } from './allowed-globals';

const utf8 = new TextDecoder('utf-8');

/** Globals named by the pickle starting at `start`, in order of appearance (best effort on damage). */
export function scanPickleGlobals(bytes: Uint8Array, start = 0): string[] {
  const found: string[] = [];
  const strings: (string | null)[] = []; // recent pushes, for STACK_GLOBAL's two operands
  const memo = new Map<number, string | null>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = start;
  const line = (): string | null => {
    const nl = bytes.indexOf(0x0a, p);
    if (nl < 0) return null;
    const s = utf8.decode(bytes.subarray(p, nl));
    p = nl + 1;
    return s;
  };
  while (p < bytes.length) {
    const code = bytes[p++];
    const info = OPCODES[code];
    if (!info) break;
    const name = info.name;
    let pushed: string | null | undefined;
    switch (info.arg) {
      case 'none': break;
      case 'u8': p += 1; break;
      case 'u16': p += 2; break;
      case 'u32': case 'i32': p += 4; break;
      case 'f64': case 'u64': p += 8; break;
      case 'len8': case 'len32': case 'len64': {
        const w = info.arg === 'len8' ? 1 : info.arg === 'len32' ? 4 : 8;
        if (p + w > bytes.length) return found;
        const n = w === 1 ? bytes[p] : w === 4 ? view.getUint32(p, true) : Number(view.getBigUint64(p, true));
        p += w;
        if (p + n > bytes.length) return found;
        if (name.includes('UNICODE')) pushed = utf8.decode(bytes.subarray(p, p + n));
        p += n;
        break;
      }
      case 'line': {
        const s = line();
        if (s === null) return found;
        if (name === 'STRING' || name === 'UNICODE') pushed = s.replace(/^['"]|['"]$/g, '');
        break;
      }
      case 'two-lines': {
        const module = line();
        const global = line();
        if (module === null || global === null) return found;
        found.push(resolveGlobalName(module, global));
        break;
      }
    }
    if (name === 'STACK_GLOBAL') {
      const g = strings.pop() ?? '?';
      const m = strings.pop() ?? '?';
      found.push(resolveGlobalName(m, g));
    } else if (name === 'MEMOIZE') memo.set(memo.size, strings.at(-1) ?? null);
    else if ((name === 'BINPUT' || name === 'LONG_BINPUT') && p - 1 < bytes.length) {
      const idx = name === 'BINPUT' ? bytes[p - 1] : view.getUint32(p - 4, true);
      memo.set(idx, strings.at(-1) ?? null);
    } else if ((name === 'BINGET' || name === 'LONG_BINGET') && p - 1 < bytes.length) {
      const idx = name === 'BINGET' ? bytes[p - 1] : view.getUint32(p - 4, true);
      strings.push(memo.get(idx) ?? null);
    } else if (pushed !== undefined) strings.push(pushed);
    if (name === 'STOP') break;
  }
  return found;
}
