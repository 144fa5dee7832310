/** The stand-in's leaky bucket on its own, with the clock passed in. */
import { describe, expect, it } from "vitest";
import { createLeakyBucket, parseRateLimit } from "../../scripts/lib/leaky-bucket.ts";

describe("parseRateLimit", () => {
  it("reads <calls>/<seconds>", () => {
    expect(parseRateLimit("100/60")).toEqual({ capacity: 100, seconds: 60 });
  });

  it("reads off, empty and null as no limit", () => {
    expect([parseRateLimit("off"), parseRateLimit(""), parseRateLimit(null), parseRateLimit(undefined)]).toEqual([
      null,
      null,
      null,
      null,
    ]);
  });

  it.each(["100", "0/60", "100/0", "a/b", "-1/60"])("refuses %s", (text) => {
    expect(() => parseRateLimit(text)).toThrow(/rateLimit/);
  });
});

describe("a leaky bucket of 10 calls draining 10 per 10 s", () => {
  const limit = { capacity: 10, seconds: 10 };

  it("takes calls until full and says how full it is", () => {
    const bucket = createLeakyBucket(limit, 0);
    const used = Array.from({ length: 10 }, () => bucket.take(0).used);
    expect(used).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("refuses the call that would overflow it, with the seconds until one fits", () => {
    const bucket = createLeakyBucket(limit, 0);
    for (let i = 0; i < 10; i++) bucket.take(0);
    expect(bucket.take(0)).toEqual({ ok: false, used: 10, retryAfterSeconds: 1 });
  });

  it("does not count a refused call", () => {
    const bucket = createLeakyBucket(limit, 0);
    for (let i = 0; i < 15; i++) bucket.take(0);
    expect(bucket.used(0)).toBe(10);
  });

  it("drains continuously: one call fits again after a tenth of the period", () => {
    const bucket = createLeakyBucket(limit, 0);
    for (let i = 0; i < 10; i++) bucket.take(0);
    expect(bucket.take(999).ok).toBe(false);
    expect(bucket.take(1000)).toEqual({ ok: true, used: 10 });
  });

  it("is empty again after a whole period", () => {
    const bucket = createLeakyBucket(limit, 0);
    for (let i = 0; i < 10; i++) bucket.take(0);
    expect(bucket.used(10_000)).toBe(0);
  });

  it("asks a caller to wait longer the more it overflowed a slow bucket", () => {
    const bucket = createLeakyBucket({ capacity: 2, seconds: 60 }, 0);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.take(0)).toMatchObject({ ok: false, retryAfterSeconds: 30 });
  });
});
