/** Lower-case hex of bytes: signatures, digests and form tokens are all shown this way. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
