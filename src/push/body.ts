/** What the push endpoint reads in a body before anything else: whether it is blank. */

/** True for a body of nothing but JSON whitespace: the console's empty URL check. */
export function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  return true;
}
