/** The pure reading of Omisell's answers: which failures retry, Retry-After, the call-limit header, a 429's pause. */
import { describe, expect, it } from "vitest";
import { classifyStatus, parseCallLimit, parseRetryAfter, throttlePauseSeconds } from "../src/omisell/failure";

describe("classifyStatus", () => {
  it("treats 429 as throttled, not as a failure to retry", () => {
    expect(classifyStatus(429)).toBe("throttled");
  });

  it.each([408, 500, 502, 503, 504])("treats %i as retryable", (status) => {
    expect(classifyStatus(status)).toBe("retryable");
  });

  it.each([400, 401, 403, 404, 409, 422])("treats %i as permanent", (status) => {
    expect(classifyStatus(status)).toBe("permanent");
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("120", 0)).toBe(120);
  });

  it("reads an HTTP date relative to now", () => {
    const now = Date.parse("2026-11-28T10:00:00Z");
    expect(parseRetryAfter("Sat, 28 Nov 2026 10:01:30 GMT", now)).toBe(90);
  });

  it("returns null for a missing or unreadable header", () => {
    expect(parseRetryAfter(null, 0)).toBeNull();
    expect(parseRetryAfter("soon", 0)).toBeNull();
  });
});

describe("parseCallLimit", () => {
  it("reads <used>/<capacity>", () => {
    expect(parseCallLimit("37/100")).toEqual({ used: 37, capacity: 100 });
    expect(parseCallLimit(" 0 / 40 ")).toEqual({ used: 0, capacity: 40 });
  });

  it("returns null for a missing, unreadable or zero-capacity header", () => {
    expect(parseCallLimit(null)).toBeNull();
    expect(parseCallLimit("lots")).toBeNull();
    expect(parseCallLimit("5/0")).toBeNull();
  });
});

describe("throttlePauseSeconds", () => {
  it("takes Retry-After first", () => {
    expect(throttlePauseSeconds(12, { data: { retry_after: 50 } })).toBe(12);
  });

  it("else the body's data.retry_after", () => {
    expect(throttlePauseSeconds(null, { data: { retry_after: 45 } })).toBe(45);
    expect(throttlePauseSeconds(null, { data: { retry_after: "7.2" } })).toBe(8);
  });

  it("else 30 seconds", () => {
    expect(throttlePauseSeconds(null, undefined)).toBe(30);
    expect(throttlePauseSeconds(null, { data: { retry_after: "soon" } })).toBe(30);
    expect(throttlePauseSeconds(null, { data: null })).toBe(30);
  });
});
