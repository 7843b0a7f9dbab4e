// Every pickle opcode (protocols 0-5) with the shape of its argument, so a disassembler can walk any
// pickle without running it. Names follow Python's pickletools.

export type ArgKind =
  | 'none' | 'u8' | 'u16' | 'u32' | 'i32' | 'f64' | 'u64'
  | 'len8' | 'len32' | 'len64' // length-prefixed payloads
  | 'line' | 'two-lines'; // protocol-0 text arguments

export const OPCODES: Record<number, { name: string; arg: ArgKind }> = {};
function op(ch: string | number, name: string, arg: ArgKind): void {
  OPCODES[typeof ch === 'string' ? ch.charCodeAt(0) : ch] = { name, arg };
}
op('(', 'MARK', 'none'); op('.', 'STOP', 'none'); op('0', 'POP', 'none'); op('1', 'POP_MARK', 'none');
op('2', 'DUP', 'none'); op('F', 'FLOAT', 'line'); op('I', 'INT', 'line'); op('J', 'BININT', 'i32');
op('K', 'BININT1', 'u8'); op('L', 'LONG', 'line'); op('M', 'BININT2', 'u16'); op('N', 'NONE', 'none');
op('P', 'PERSID', 'line'); op('Q', 'BINPERSID', 'none'); op('R', 'REDUCE', 'none'); op('S', 'STRING', 'line');
op('T', 'BINSTRING', 'len32'); op('U', 'SHORT_BINSTRING', 'len8'); op('V', 'UNICODE', 'line');
op('X', 'BINUNICODE', 'len32'); op('a', 'APPEND', 'none'); op('b', 'BUILD', 'none'); op('c', 'GLOBAL', 'two-lines');
op('d', 'DICT', 'none'); op('}', 'EMPTY_DICT', 'none'); op('e', 'APPENDS', 'none'); op('g', 'GET', 'line');
op('h', 'BINGET', 'u8'); op('i', 'INST', 'two-lines'); op('j', 'LONG_BINGET', 'u32'); op('l', 'LIST', 'none');
op(']', 'EMPTY_LIST', 'none'); op('o', 'OBJ', 'none'); op('p', 'PUT', 'line'); op('q', 'BINPUT', 'u8');
op('r', 'LONG_BINPUT', 'u32'); op('s', 'SETITEM', 'none'); op('t', 'TUPLE', 'none'); op(')', 'EMPTY_TUPLE', 'none');
op('u', 'SETITEMS', 'none'); op('G', 'BINFLOAT', 'f64');
op(0x80, 'PROTO', 'u8'); op(0x81, 'NEWOBJ', 'none'); op(0x82, 'EXT1', 'u8'); op(0x83, 'EXT2', 'u16');
op(0x84, 'EXT4', 'u32'); op(0x85, 'TUPLE1', 'none'); op(0x86, 'TUPLE2', 'none'); op(0x87, 'TUPLE3', 'none');
op(0x88, 'NEWTRUE', 'none'); op(0x89, 'NEWFALSE', 'none'); op(0x8a, 'LONG1', 'len8'); op(0x8b, 'LONG4', 'len32');
op('B', 'BINBYTES', 'len32'); op('C', 'SHORT_BINBYTES', 'len8');
op(0x8c, 'SHORT_BINUNICODE', 'len8'); op(0x8d, 'BINUNICODE8', 'len64'); op(0x8e, 'BINBYTES8', 'len64');
op(0x8f, 'EMPTY_SET', 'none'); op(0x90, 'ADDITEMS', 'none'); op(0x91, 'FROZENSET', 'none');
op(0x92, 'NEWOBJ_EX', 'none'); op(0x93, 'STACK_GLOBAL', 'none'); op(0x94, 'MEMOIZE', 'none');
op(0x95, 'FRAME', 'u64'); op(0x96, 'BYTEARRAY8', 'len64'); op(0x97, 'NEXT_BUFFER', 'none');
op(0x98, 'READONLY_BUFFER', 'none');

export function opcodeName(code: number): string {
  return OPCODES[code]?.name ?? `0x${code.toString(16).padStart(2, '0')}`;
}
