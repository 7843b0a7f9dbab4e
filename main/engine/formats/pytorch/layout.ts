// Constants of the torch.save layouts, shared by the reader, the writer and sniffing.

/** First pickle of a legacy (pre-1.6) torch.save file. */
export const LEGACY_MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
/** `\x80\x02\x8a\x0a` + the magic number's 10 little-endian bytes: how a legacy file begins. */
const LEGACY_HEAD = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);

/** Our own record inside the zip for string metadata (torch ignores records it does not know). */
export const METADATA_RECORD = 'merge_studio/metadata.json';

export function isLegacyMagic(head: Uint8Array): boolean {
  if (head.length < LEGACY_HEAD.length) return false;
  for (let i = 0; i < LEGACY_HEAD.length; i++) if (head[i] !== LEGACY_HEAD[i]) return false;
  return true;
}

/** A zip whose first local header names `<folder>/data.pkl` (torch writes data.pkl first). */
export function isTorchZipHead(head: Uint8Array): boolean {
  if (head.length < 30 || head[0] !== 0x50 || head[1] !== 0x4b || head[2] !== 3 || head[3] !== 4) return false;
  const nameLen = head[26] | (head[27] << 8);
  const name = Buffer.from(head.subarray(30, Math.min(head.length, 30 + nameLen))).toString('latin1');
  return name === 'data.pkl' || /^[^/]*\/data\.pkl$/.test(name);
}

/** A zip at all (the reader then looks for data.pkl anywhere in its central directory). */
export function isZipHead(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4;
}

/** Opcodes that open a real pickle right after its PROTO header (dict, list, global, long, frame, …). */
const PICKLE_SECOND_OPS = new Set([0x7d, 0x5d, 0x63, 0x8a, 0x95, 0x28, 0x4b, 0x58, 0x8c, 0x4e, 0x4a, 0x55, 0x29, 0x88, 0x89]);

/**
 * A bare pickle (no torch framing): claimed so that a payload saved as .pt is refused by the global it
 * names rather than reported as an unknown format. Protocol 2-5 by header; protocol 0/1 (which has
 * no header) only when the extension is ours.
 */
export function looksLikePickle(head: Uint8Array, ownExtension: boolean): boolean {
  if (head.length > 8 && head[8] === 0x7b) return false; // a safetensors JSON header starts at byte 8
  if (head.length >= 3 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5 && PICKLE_SECOND_OPS.has(head[2])) return true;
  return ownExtension && head.length > 0 && (head[0] === 0x28 || head[0] === 0x63 || head[0] === 0x80);
}
