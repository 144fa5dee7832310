/**
 * /health/pipeline says `archive_failing` once three retention runs in a row could not write to
 * ARCHIVE (their events all kept), and stops saying it after a run that could.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { faultyBucket, ownDay, retain, storeOldEvents } from "./helpers/archive";
import { BASE } from "./helpers/read-api";
import { MINUTE } from "./helpers/time";

async function reasons(): Promise<string[]> {
  const res = await exports.default.fetch(`${BASE}/health/pipeline`);
  const body = (await res.json()) as { status: string; reasons?: string[] };
  return body.reasons ?? [];
}

describe("archive_failing", () => {
  it("shows after three runs in a row failed to write to ARCHIVE, and clears after one that wrote", async () => {
    const day = ownDay(100);
    await storeOldEvents(day, 2);
    const now = Date.now();

    await retain(now - 3 * MINUTE, { archive: faultyBucket("before") });
    await retain(now - 2 * MINUTE, { archive: faultyBucket("before") });
    expect(await reasons()).not.toContain("archive_failing");

    await retain(now - MINUTE, { archive: faultyBucket("before") });
    expect(await reasons()).toContain("archive_failing");

    await retain(now);
    expect(await reasons()).not.toContain("archive_failing");
  });
});
