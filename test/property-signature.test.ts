/**
 * Property-based tests (fast-check) of the push signature check: for any body, URL, secret and
 * header, `readSignatureHeader` and `verifyPushSignature` never throw; only the signature made
 * with a configured secret over exactly these bytes and this URL passes; any change to a byte of
 * the body, the URL, the digest or the secret fails. Under the static scheme, only a header equal
 * to a configured secret passes: no prefix, extension or near miss of it.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { toHex } from "../src/lib/hex";
import { checkPushSignature, readSignatureHeader, signPush, verifyPushSignature } from "../src/push/signature";

const RUNS = { numRuns: 150, seed: 7 };

const body = fc.uint8Array({ minLength: 0, maxLength: 2048 });
const secret = fc.string({ minLength: 1, maxLength: 64 });
const callbackUrl = fc.webUrl({ withQueryParameters: true });
const anyHeader = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.stringMatching(/^[0-9a-fA-F]{60,70}$/),
  fc.stringMatching(/^(sha256=|HMAC-SHA256 |Bearer )?[0-9a-f]{64}$/),
  fc.constant(undefined),
  fc.constant(null),
  fc.constant("0".repeat(100_000)),
);

/** Flips one bit of one byte: the smallest possible change. */
function flipBit(bytes: Uint8Array, index: number, bit: number): Uint8Array {
  const copy = bytes.slice();
  const at = index % copy.length;
  copy[at] = (copy[at] as number) ^ (1 << bit);
  return copy;
}

/**
 * Asserts `holds` over RUNS pushes: a body (from `bodies`), a callback URL, a secret, and a value
 * of each of `more`.
 */
function forEveryPush<Ts extends unknown[]>(
  more: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  holds: (b: Uint8Array, url: string, s: string, ...rest: Ts) => Promise<boolean>,
  bodies: fc.Arbitrary<Uint8Array> = body,
): Promise<void> {
  return fc.assert(fc.asyncProperty(bodies, callbackUrl, secret, ...more, holds), RUNS);
}

/** A bit to flip: a byte index (wrapped to the length) and a bit of it. */
const aBit = [fc.nat(), fc.integer({ min: 0, max: 7 })] as [fc.Arbitrary<number>, fc.Arbitrary<number>];

describe("readSignatureHeader, for any header", () => {
  it("never throws and yields either nothing or exactly 32 bytes", () => {
    fc.assert(
      fc.property(anyHeader, (header) => {
        const digest = readSignatureHeader(header);
        return digest === null || digest.byteLength === 32;
      }),
      RUNS,
    );
  });

  it("reads back any digest written as hex, in either case, behind a prefix or not", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom("", "sha256=", "HMAC-SHA256 "),
        fc.boolean(),
        (digest, prefix, upper) => {
          const hex = toHex(digest);
          const read = readSignatureHeader(`${prefix}${upper ? hex.toUpperCase() : hex}`);
          return read !== null && toHex(read) === hex;
        },
      ),
      RUNS,
    );
  });
});

describe("verifyPushSignature, for any push", () => {
  it("never throws, whatever the header", async () => {
    await fc.assert(
      fc.asyncProperty(body, callbackUrl, fc.array(secret, { maxLength: 3 }), anyHeader, async (b, url, s, h) => {
        const valid = await verifyPushSignature(s, url, b, h);
        return typeof valid === "boolean";
      }),
      RUNS,
    );
  });

  it("passes the signature made with a configured secret, among rotated ones", async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        callbackUrl,
        fc.array(secret, { minLength: 1, maxLength: 3 }),
        fc.nat(),
        async (b, url, secrets, pick) => {
          const signingSecret = secrets[pick % secrets.length] as string;
          return verifyPushSignature(secrets, url, b, await signPush(signingSecret, url, b));
        },
      ),
      RUNS,
    );
  });

  it("fails when any bit of the body changed after signing", () =>
    forEveryPush(
      aBit,
      async (b, url, s, index, bit) => {
        const signature = await signPush(s, url, b);
        return !(await verifyPushSignature([s], url, flipBit(b, index, bit), signature));
      },
      body.filter((b) => b.length > 0),
    ));

  it("fails when any bit of the digest changed", () =>
    forEveryPush(aBit, async (b, url, s, i, bit) => {
      const digest = readSignatureHeader(await signPush(s, url, b)) as Uint8Array;
      return !(await verifyPushSignature([s], url, b, toHex(flipBit(digest, i, bit))));
    }));

  it("fails for a signature made with another secret or for another callback URL", async () => {
    await fc.assert(
      fc.asyncProperty(body, callbackUrl, callbackUrl, secret, secret, async (b, url, otherUrl, s, otherSecret) => {
        const wrongSecret =
          otherSecret !== s && (await verifyPushSignature([s], url, b, await signPush(otherSecret, url, b)));
        const wrongUrl = otherUrl !== url && (await verifyPushSignature([s], url, b, await signPush(s, otherUrl, b)));
        return !wrongSecret && !wrongUrl;
      }),
      RUNS,
    );
  });

  it("fails closed with no secret configured, even for a well-formed digest", () =>
    forEveryPush([], async (b, url, s) => !(await verifyPushSignature([], url, b, await signPush(s, url, b)))));

  it("fails for a random digest: guessing does not work", () =>
    forEveryPush([fc.uint8Array({ minLength: 32, maxLength: 32 })], async (b, url, s, guess) => {
      return !(await verifyPushSignature([s], url, b, toHex(guess)));
    }));
});

describe("the static scheme, for any secrets and header", () => {
  // Configured secrets are trimmed and never blank (config.ts), and so is a header's value.
  const configured = secret.filter((s) => s.trim() === s && s.length > 0);
  const secrets = fc.array(configured, { minLength: 1, maxLength: 4 });

  it("passes a header exactly when it equals one of the secrets", async () => {
    await fc.assert(
      fc.asyncProperty(secrets, fc.option(configured, { nil: null }), fc.nat(), async (list, other, pick) => {
        const header = other ?? (list[pick % list.length] as string);
        const check = await checkPushSignature(list, "https://x.test/", new Uint8Array(), header, "static");
        return check.ok === list.includes(header);
      }),
      RUNS,
    );
  });

  it("refuses every proper prefix and every extension of a secret", async () => {
    await fc.assert(
      fc.asyncProperty(configured, fc.nat(), fc.string({ minLength: 1, maxLength: 8 }), async (s, cut, tail) => {
        const prefix = s.slice(0, cut % s.length);
        const url = "https://x.test/";
        const none = new Uint8Array();
        const short = prefix.length > 0 ? (await checkPushSignature([s], url, none, prefix, "static")).ok : false;
        const long = (await checkPushSignature([s], url, none, `${s}${tail}`, "static")).ok;
        return !short && !long;
      }),
      RUNS,
    );
  });
});
