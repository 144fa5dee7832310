/**
 * How long a batch's order-fetch claims last: fetches run FOLLOWUP_PARALLELISM at a time, so the
 * last of a big batch's orders starts several call lengths after the claim was taken.
 */
import { describe, expect, it } from "vitest";
import { fetchClaimLeaseMs } from "../src/followup/fetch-claims";
import { LIMITER_WAIT_BOUND_MS } from "../src/omisell/client";

const TIMEOUT = 10_000;
const ROUND = TIMEOUT + LIMITER_WAIT_BOUND_MS;

describe("fetchClaimLeaseMs", () => {
  it("covers one call, limiter waits included, when every order fetches in the first round", () => {
    expect(fetchClaimLeaseMs(3, 4, TIMEOUT)).toBe(ROUND + 10_000);
  });

  it("covers one round of calls per FOLLOWUP_PARALLELISM orders of the batch", () => {
    expect(fetchClaimLeaseMs(40, 4, TIMEOUT)).toBe(10 * ROUND + 10_000);
  });

  it("counts a partly filled last round as a whole one", () => {
    expect(fetchClaimLeaseMs(9, 4, TIMEOUT)).toBe(3 * ROUND + 10_000);
  });

  it("still covers one call for a batch of no orders", () => {
    expect(fetchClaimLeaseMs(0, 4, TIMEOUT)).toBe(ROUND + 10_000);
  });
});
