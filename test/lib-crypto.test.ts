/**
 * The one WebCrypto set-up: HMAC over raw key bytes (what forwarding signs with) agrees with the
 * published HMAC-SHA256 vectors and with the same key given as text.
 */
import { describe, expect, it } from "vitest";
import { hmacSha256Bytes, hmacSha256Hex, sha256Hex } from "../src/lib/crypto";
import { toHex } from "../src/lib/hex";

describe("HMAC-SHA256 over raw key bytes", () => {
  it("matches the RFC 4231 test case 2 vector", async () => {
    const mac = await hmacSha256Bytes(new TextEncoder().encode("Jefe"), "what do ya want for nothing?");
    expect(toHex(mac)).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });

  it("gives the same MAC as the text secret with the same bytes", async () => {
    const raw = await hmacSha256Bytes(new TextEncoder().encode("a push secret"), "body");
    expect(toHex(raw)).toBe(await hmacSha256Hex("a push secret", "body"));
  });

  it("uses each key's own bytes when two keys are signed with in turn", async () => {
    const first = await hmacSha256Bytes(new Uint8Array([1, 2, 3]), "same data");
    const second = await hmacSha256Bytes(new Uint8Array([1, 2, 4]), "same data");
    expect(toHex(first)).not.toBe(toHex(second));
  });
});

describe("SHA-256", () => {
  it("gives the hex digest of the FIPS 180-2 'abc' vector", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
